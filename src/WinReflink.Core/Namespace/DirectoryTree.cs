using WinReflink.Core.Errors;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Namespace;

/// <summary>
/// The directory tree: lookups by name, the checks a new name passes, and rename (with NOREPLACE,
/// EXCHANGE and WHITEOUT). Invariants on entry and on return of every call: each directory's entries
/// name inodes that exist (<see cref="InodeTable.Named"/> answers a violation as corruption), a
/// directory has one name and is not its own ancestor, and a directory's link count is 2 plus its
/// subdirectories. Callers hold the volume lock and, for a change, the locks of the directories and
/// inodes it changes exclusively (the volume lock exclusively when a directory moves), and have
/// checked that the volume is writable.
/// </summary>
internal sealed class DirectoryTree
{
    private readonly InodeTable _inodes;
    private readonly Transaction _transaction;
    private readonly CaseFolding _folding;

    public DirectoryTree(InodeTable inodes, Transaction transaction, CaseFolding folding)
    {
        _inodes = inodes;
        _transaction = transaction;
        _folding = folding;
    }

    /// <summary>The inode <paramref name="name"/> names in directory <paramref name="parent"/> ("." and ".." included).</summary>
    public FsError Lookup(long parent, string name, out Inode inode)
    {
        inode = null!;
        var e = _inodes.TryGetDirectory(parent, out var dir);
        if (e != FsError.Ok)
        {
            return e;
        }
        if (name == ".")
        {
            inode = dir;
            return FsError.Ok;
        }
        if (name == "..")
        {
            return _inodes.TryGet(dir.Parent, out inode);
        }
        e = NameRules.Validate(name);
        if (e != FsError.Ok)
        {
            return e;
        }
        if (!dir.Children!.TryGet(_folding.Key(name), out var record))
        {
            return FsError.NotFound;
        }
        return _inodes.TryGet(record.Ino, out inode);
    }

    /// <summary>Whether <paramref name="name"/> may be added to <paramref name="dir"/>: valid, free, the directory alive and not immutable; its lookup key on return.</summary>
    public FsError CheckNewName(Inode dir, string name, out string key)
    {
        key = "";
        if (dir.Nlink == 0)
        {
            return FsError.NotFound;
        }
        var e = NameRules.Validate(name);
        if (e != FsError.Ok)
        {
            return name is "." or ".." ? FsError.Exists : e;
        }
        key = _folding.Key(name);
        return dir.Children!.TryGet(key, out _) ? FsError.Exists : FlagRules.CheckEntriesAddable(dir);
    }

    /// <summary>The directory's entries changed: its times move.</summary>
    public void Touch(Inode dir)
    {
        long now = FileSystem.Now();
        dir.ModifyTime = now;
        dir.ChangeTime = now;
        _transaction.Changed(dir);
    }

    /// <summary>
    /// Renames an entry between two directories the caller looked up, with the flags' semantics (NOREPLACE,
    /// EXCHANGE, WHITEOUT). Nothing changes unless it answers Ok. On return no directory is its own
    /// ancestor and every link count matches the entries.
    /// </summary>
    public FsError Rename(Inode fromDir, string name, Inode toDir, string newName, RenameFlags flags, in CreateRequest whiteoutOwner)
    {
        if (name is "." or ".." || newName is "." or "..")
        {
            return FsError.Busy;
        }
        var e = NameRules.Validate(name);
        if (e != FsError.Ok)
        {
            return e;
        }
        e = NameRules.Validate(newName);
        if (e != FsError.Ok)
        {
            return e;
        }
        string key = _folding.Key(name), newKey = _folding.Key(newName);
        if (!fromDir.Children!.TryGet(key, out var record))
        {
            return FsError.NotFound;
        }
        var inode = _inodes.Named(fromDir, record.Ino);
        bool targetExists = toDir.Children!.TryGet(newKey, out var target);
        if (toDir.Nlink == 0)
        {
            return FsError.NotFound;
        }
        bool exchange = (flags & RenameFlags.Exchange) != 0;
        if (exchange && !targetExists)
        {
            return FsError.NotFound;
        }
        if (targetExists && target!.Ino == record.Ino)
        {
            return RenameOntoSameInode(fromDir, record, toDir, newName, newKey, flags);
        }
        if (inode.IsDirectory && IsSelfOrAncestor(inode.Ino, toDir))
        {
            return FsError.InvalidArgument;
        }
        if (exchange)
        {
            return Exchange(fromDir, record, toDir, target!);
        }
        if (targetExists && (flags & RenameFlags.NoReplace) != 0)
        {
            return FsError.Exists;
        }
        e = FlagRules.CheckRemovable(fromDir, inode);
        if (e != FsError.Ok)
        {
            return e;
        }
        Inode? victim = null;
        if (targetExists)
        {
            victim = _inodes.Named(toDir, target!.Ino);
            if (inode.IsDirectory && !victim.IsDirectory)
            {
                return FsError.NotDirectory;
            }
            if (!inode.IsDirectory && victim.IsDirectory)
            {
                return FsError.IsDirectory;
            }
            if (victim.IsDirectory && !victim.Children!.IsEmpty)
            {
                return FsError.NotEmpty;
            }
            e = FlagRules.CheckRemovable(toDir, victim);
        }
        else
        {
            e = FlagRules.CheckEntriesAddable(toDir);
        }
        if (e != FsError.Ok)
        {
            return e;
        }
        if ((flags & RenameFlags.Whiteout) != 0)
        {
            // The whiteout takes the source's place (and its cookie) in the same step, as on ext4.
            var whiteout = _inodes.Create(fromDir, whiteoutOwner with { Mode = PosixMode.CharDevice, Rdev = 0, WindowsAttributes = WindowsAttributes.None, SecurityDescriptor = null });
            fromDir.Children.Replace(key, record.Name, whiteout.Ino, EntryType.Of(whiteout.Mode));
        }
        else
        {
            fromDir.Children.Remove(key);
        }
        if (victim != null)
        {
            // The target name stays where it was in a listing; only the inode behind it changes.
            toDir.Children.Replace(newKey, newName, inode.Ino, EntryType.Of(inode.Mode));
            _inodes.DropLink(toDir, victim);
        }
        else
        {
            toDir.Children.Add(newName, newKey, inode.Ino, EntryType.Of(inode.Mode));
        }
        if (inode.IsDirectory && fromDir != toDir)
        {
            inode.Parent = toDir.Ino;
            fromDir.Nlink--;
            toDir.Nlink++;
        }
        inode.ChangeTime = FileSystem.Now();
        _transaction.Changed(inode);
        Touch(fromDir);
        Touch(toDir);
        return FsError.Ok;
    }

    /// <summary>
    /// Source and target name one inode (two hard links, or one name under two spellings on a
    /// case-insensitive volume). POSIX makes this a successful no-op; the one change is a case-only
    /// rename, which respells the stored name (Windows and the CLI ask for it; the Linux kernel never
    /// sends it, seeing one dentry). Exchange and whiteout change nothing either, as Linux's vfs_rename.
    /// </summary>
    private FsError RenameOntoSameInode(Inode fromDir, DirectoryRecord record, Inode toDir, string newName, string newKey, RenameFlags flags)
    {
        if ((flags & (RenameFlags.Exchange | RenameFlags.Whiteout)) != 0)
        {
            return FsError.Ok;
        }
        if (fromDir == toDir && record.Key == newKey)
        {
            if (record.Name == newName)
            {
                // The target name exists (it is the source): NOREPLACE refuses it, as Linux does.
                return (flags & RenameFlags.NoReplace) != 0 ? FsError.Exists : FsError.Ok;
            }
            var inode = _inodes.Named(fromDir, record.Ino);
            var e = FlagRules.CheckRemovable(fromDir, inode);
            if (e != FsError.Ok)
            {
                return e;
            }
            fromDir.Children!.Replace(newKey, newName, inode.Ino, EntryType.Of(inode.Mode));
            inode.ChangeTime = FileSystem.Now();
            _transaction.Changed(inode);
            Touch(fromDir);
            return FsError.Ok;
        }
        return (flags & RenameFlags.NoReplace) != 0 ? FsError.Exists : FsError.Ok;
    }

    private FsError Exchange(Inode fromDir, DirectoryRecord a, Inode toDir, DirectoryRecord b)
    {
        var ia = _inodes.Named(fromDir, a.Ino);
        var ib = _inodes.Named(toDir, b.Ino);
        if (ib.IsDirectory && IsSelfOrAncestor(ib.Ino, fromDir))
        {
            return FsError.InvalidArgument;
        }
        var e = FlagRules.CheckRemovable(fromDir, ia);
        if (e == FsError.Ok)
        {
            e = FlagRules.CheckRemovable(toDir, ib);
        }
        if (e != FsError.Ok)
        {
            return e;
        }
        // Both names exist before and after: each keeps its cookie, so a listing in progress sees both.
        fromDir.Children!.Replace(a.Key, a.Name, ib.Ino, EntryType.Of(ib.Mode));
        toDir.Children!.Replace(b.Key, b.Name, ia.Ino, EntryType.Of(ia.Mode));
        if (fromDir != toDir)
        {
            if (ia.IsDirectory)
            {
                ia.Parent = toDir.Ino;
                fromDir.Nlink--;
                toDir.Nlink++;
            }
            if (ib.IsDirectory)
            {
                ib.Parent = fromDir.Ino;
                toDir.Nlink--;
                fromDir.Nlink++;
            }
        }
        long now = FileSystem.Now();
        ia.ChangeTime = now;
        ib.ChangeTime = now;
        _transaction.Changed(ia);
        _transaction.Changed(ib);
        Touch(fromDir);
        Touch(toDir);
        return FsError.Ok;
    }

    /// <summary>Whether <paramref name="ino"/> is <paramref name="dir"/> or one of its ancestors.</summary>
    private bool IsSelfOrAncestor(long ino, Inode dir)
    {
        var d = dir;
        while (true)
        {
            if (d.Ino == ino)
            {
                return true;
            }
            if (d.Ino == FileSystem.RootIno || _inodes.TryGet(d.Parent, out d!) != FsError.Ok)
            {
                return false;
            }
        }
    }
}
