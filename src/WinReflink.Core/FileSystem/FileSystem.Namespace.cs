using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public FsError Lookup(long parent, string name, out InodeAttributes attributes)
    {
        attributes = default;
        lock (_lock)
        {
            var e = LookupLocked(parent, name, out var inode);
            if (e == FsError.Ok)
            {
                attributes = _inodes.Attributes(inode);
            }
            return e;
        }
    }

    private FsError LookupLocked(long parent, string name, out Inode inode)
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
        if (!dir.Children!.TryGet(_state.Settings.Folding.Key(name), out var record))
        {
            return FsError.NotFound;
        }
        return _inodes.TryGet(record.Ino, out inode);
    }

    /// <summary>Resolves a volume path ('/' or '\' separated, relative to the root) to an inode.</summary>
    public FsError Resolve(string path, out InodeAttributes attributes)
    {
        attributes = default;
        lock (_lock)
        {
            var inode = _inodes.Root;
            foreach (string part in path.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries))
            {
                var e = LookupLocked(inode.Ino, part, out inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
            }
            attributes = _inodes.Attributes(inode);
            return FsError.Ok;
        }
    }

    /// <summary>The names of an inode's entry: its stored case, as Windows needs for normalized names.</summary>
    public FsError EntryName(long parent, string name, out string storedName)
    {
        storedName = name;
        lock (_lock)
        {
            var e = _inodes.TryGetDirectory(parent, out var dir);
            if (e != FsError.Ok)
            {
                return e;
            }
            if (!dir.Children!.TryGet(_state.Settings.Folding.Key(name), out var record))
            {
                return FsError.NotFound;
            }
            storedName = record.Name;
            return FsError.Ok;
        }
    }

    /// <summary>Creates a non-directory: a regular file, FIFO, socket or device node, by the type bits of the mode.</summary>
    public FsError Create(long parent, string name, in CreateRequest request, out InodeAttributes attributes)
    {
        uint type = request.Mode & PosixMode.TypeMask;
        if (type == PosixMode.Directory || type == PosixMode.Symlink)
        {
            attributes = default;
            return FsError.InvalidArgument;
        }
        var req = type == 0 ? request with { Mode = request.Mode | PosixMode.Regular } : request;
        return CreateNode(parent, name, req, null, out attributes);
    }

    public FsError Mkdir(long parent, string name, in CreateRequest request, out InodeAttributes attributes)
    {
        var req = request with { Mode = (request.Mode & PosixMode.PermissionMask) | PosixMode.Directory };
        return CreateNode(parent, name, req, null, out attributes);
    }

    public FsError Symlink(long parent, string name, string target, in CreateRequest request, out InodeAttributes attributes)
    {
        if (target.Length == 0 || target.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(target) > 4095)
        {
            attributes = default;
            return target.Length == 0 || target.Contains('\0', StringComparison.Ordinal) ? FsError.InvalidArgument : FsError.NameTooLong;
        }
        var req = request with { Mode = PosixMode.Symlink | 0x1FF };
        return CreateNode(parent, name, req, target, out attributes);
    }

    private FsError CreateNode(long parent, string name, CreateRequest request, string? symlinkTarget, out InodeAttributes attributes)
    {
        attributes = default;
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGetDirectory(parent, out var dir);
                    if (e == FsError.Ok)
                    {
                        e = CheckNewName(dir, name, out string key);
                        if (e == FsError.Ok)
                        {
                            var inode = _inodes.Create(dir, request);
                            inode.SymlinkTarget = symlinkTarget;
                            if (symlinkTarget != null)
                            {
                                inode.Size = System.Text.Encoding.UTF8.GetByteCount(symlinkTarget);
                            }
                            dir.Children!.Add(name, key, inode.Ino);
                            if (inode.IsDirectory)
                            {
                                dir.Nlink++;
                            }
                            TouchDirectory(dir);
                            attributes = _inodes.Attributes(inode);
                        }
                    }
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "create"))
            {
                return FsError.Io;
            }
        }
    }

    private FsError CheckNewName(Inode dir, string name, out string key)
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
        key = _state.Settings.Folding.Key(name);
        return dir.Children!.TryGet(key, out _) ? FsError.Exists : CheckEntriesAddable(dir);
    }

    private void TouchDirectory(Inode dir)
    {
        long now = Now();
        dir.ModifyTime = now;
        dir.ChangeTime = now;
        Changed(dir);
    }

    public FsError ReadLink(long ino, out string target)
    {
        target = "";
        lock (_lock)
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e != FsError.Ok)
            {
                return e;
            }
            if (inode.SymlinkTarget == null)
            {
                return FsError.NotSymlink;
            }
            target = inode.SymlinkTarget;
            return FsError.Ok;
        }
    }

    public FsError Link(long ino, long newParent, string newName, out InodeAttributes attributes)
    {
        attributes = default;
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.TryGet(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (inode.IsDirectory)
                {
                    return FsError.PermissionDenied;
                }
                if (inode.Nlink == 0 && !inode.Linkable)
                {
                    return FsError.NotFound;
                }
                if (inode.Nlink >= uint.MaxValue - 1)
                {
                    return FsError.TooManyLinks;
                }
                if ((inode.Flags & (InodeFlags.Immutable | InodeFlags.AppendOnly)) != 0)
                {
                    return FsError.PermissionDenied;
                }
                e = _inodes.TryGetDirectory(newParent, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = CheckNewName(dir, newName, out string key);
                if (e != FsError.Ok)
                {
                    return e;
                }
                dir.Children!.Add(newName, key, inode.Ino);
                if (inode.Nlink == 0)
                {
                    _inodes.Adopt(inode, dir);
                }
                inode.Nlink++;
                inode.ChangeTime = Now();
                Changed(inode);
                TouchDirectory(dir);
                attributes = _inodes.Attributes(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "link"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError Unlink(long parent, string name) => Remove(parent, name, directory: false);

    public FsError Rmdir(long parent, string name) => Remove(parent, name, directory: true);

    private FsError Remove(long parent, string name, bool directory)
    {
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.TryGetDirectory(parent, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (name == ".")
                {
                    return directory ? FsError.InvalidArgument : FsError.IsDirectory;
                }
                if (name == "..")
                {
                    return directory ? FsError.NotEmpty : FsError.IsDirectory;
                }
                e = NameRules.Validate(name);
                if (e != FsError.Ok)
                {
                    return e;
                }
                string key = _state.Settings.Folding.Key(name);
                if (!dir.Children!.TryGet(key, out var record) || _inodes.TryGet(record.Ino, out var inode) != FsError.Ok)
                {
                    return FsError.NotFound;
                }
                if (directory && !inode.IsDirectory)
                {
                    return FsError.NotDirectory;
                }
                if (!directory && inode.IsDirectory)
                {
                    return FsError.IsDirectory;
                }
                if (directory && inode.Children!.Count > 0)
                {
                    return FsError.NotEmpty;
                }
                e = CheckRemovable(dir, inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                dir.Children.Remove(key);
                TouchDirectory(dir);
                _inodes.DropLink(dir, inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "remove"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Renames an entry. With <see cref="RenameFlags.Whiteout"/>, <paramref name="whiteoutOwner"/> gives the
    /// owner of the whiteout left in the source's place (its mode and device are fixed: a character device 0/0).
    /// </summary>
    public FsError Rename(long parent, string name, long newParent, string newName, RenameFlags flags, in CreateRequest whiteoutOwner = default)
    {
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                bool exchange = (flags & RenameFlags.Exchange) != 0;
                if (exchange && (flags & (RenameFlags.NoReplace | RenameFlags.Whiteout)) != 0)
                {
                    return FsError.InvalidArgument;
                }
                e = _inodes.TryGetDirectory(parent, out var fromDir);
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGetDirectory(newParent, out var toDir);
                    if (e == FsError.Ok)
                    {
                        e = RenameLocked(fromDir, name, toDir, newName, flags, whiteoutOwner);
                    }
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "rename"))
            {
                return FsError.Io;
            }
        }
    }

    private FsError RenameLocked(Inode fromDir, string name, Inode toDir, string newName, RenameFlags flags, in CreateRequest whiteoutOwner)
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
        string key = _state.Settings.Folding.Key(name), newKey = _state.Settings.Folding.Key(newName);
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
        e = CheckRemovable(fromDir, inode);
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
            if (victim.IsDirectory && victim.Children!.Count > 0)
            {
                return FsError.NotEmpty;
            }
            e = CheckRemovable(toDir, victim);
        }
        else
        {
            e = CheckEntriesAddable(toDir);
        }
        if (e != FsError.Ok)
        {
            return e;
        }
        if ((flags & RenameFlags.Whiteout) != 0)
        {
            // The whiteout takes the source's place (and its cookie) in the same step, as on ext4.
            var whiteout = _inodes.Create(fromDir, whiteoutOwner with { Mode = PosixMode.CharDevice, Rdev = 0, WindowsAttributes = WindowsAttributes.None, SecurityDescriptor = null });
            fromDir.Children.Replace(key, record.Name, whiteout.Ino);
        }
        else
        {
            fromDir.Children.Remove(key);
        }
        if (victim != null)
        {
            // The target name stays where it was in a listing; only the inode behind it changes.
            toDir.Children.Replace(newKey, newName, inode.Ino);
            _inodes.DropLink(toDir, victim);
        }
        else
        {
            toDir.Children.Add(newName, newKey, inode.Ino);
        }
        if (inode.IsDirectory && fromDir != toDir)
        {
            inode.Parent = toDir.Ino;
            fromDir.Nlink--;
            toDir.Nlink++;
        }
        inode.ChangeTime = Now();
        Changed(inode);
        TouchDirectory(fromDir);
        TouchDirectory(toDir);
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
            var e = CheckRemovable(fromDir, inode);
            if (e != FsError.Ok)
            {
                return e;
            }
            fromDir.Children!.Replace(newKey, newName, inode.Ino);
            inode.ChangeTime = Now();
            Changed(inode);
            TouchDirectory(fromDir);
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
        var e = CheckRemovable(fromDir, ia);
        if (e == FsError.Ok)
        {
            e = CheckRemovable(toDir, ib);
        }
        if (e != FsError.Ok)
        {
            return e;
        }
        // Both names exist before and after: each keeps its cookie, so a listing in progress sees both.
        fromDir.Children!.Replace(a.Key, a.Name, ib.Ino);
        toDir.Children!.Replace(b.Key, b.Name, ia.Ino);
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
        long now = Now();
        ia.ChangeTime = now;
        ib.ChangeTime = now;
        Changed(ia);
        Changed(ib);
        TouchDirectory(fromDir);
        TouchDirectory(toDir);
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
            if (d.Ino == RootIno || _inodes.TryGet(d.Parent, out d!) != FsError.Ok)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Where a listing that starts now ends: entries whose cookie is below this value existed when it
    /// started; every entry added later, renamed ones included, lies at or past it. A host takes it when
    /// a listing starts (rewinddir included) and passes it to every <see cref="ReadDirectory"/> of that
    /// listing, so a loop that renames each entry it reads still ends.
    /// </summary>
    public FsError DirectoryListingEnd(long ino, out long endCookie)
    {
        endCookie = 0;
        lock (_lock)
        {
            var e = _inodes.TryGetDirectory(ino, out var dir);
            if (e == FsError.Ok)
            {
                endCookie = dir.Children!.NextCookie;
            }
            return e;
        }
    }

    /// <summary>
    /// Lists entries after <paramref name="cookie"/> (0 = from the start) and before <paramref name="endCookie"/>
    /// until the visitor returns false. "." and ".." are the host's to add.
    /// </summary>
    public FsError ReadDirectory(long ino, long cookie, Func<DirectoryEntry, bool> visitor, long endCookie = long.MaxValue)
    {
        // Batches are taken under the lock and handed out without it, so a visitor may call back in.
        var batch = new List<DirectoryEntry>(256);
        while (true)
        {
            batch.Clear();
            lock (_lock)
            {
                var e = _inodes.TryGetDirectory(ino, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                foreach (var r in dir.Children!.After(cookie, endCookie))
                {
                    uint mode = _inodes.TryGet(r.Ino, out var child) == FsError.Ok ? child.Mode : 0;
                    batch.Add(new DirectoryEntry(r.Name, r.Ino, mode, r.Cookie));
                    if (batch.Count == 256)
                    {
                        break;
                    }
                }
            }
            foreach (var entry in batch)
            {
                if (!visitor(entry))
                {
                    return FsError.Ok;
                }
            }
            if (batch.Count < 256)
            {
                return FsError.Ok;
            }
            cookie = batch[^1].Cookie;
        }
    }
}
