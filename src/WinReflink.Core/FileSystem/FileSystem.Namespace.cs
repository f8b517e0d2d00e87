using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public FsError Lookup(long parent, string name, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Inode(parent, write: false))
        {
            var e = _tree.Lookup(parent, name, out var inode);
            if (e == FsError.Ok)
            {
                attributes = _inodes.Attributes(inode);
            }
            return e;
        }
    }

    /// <summary>Resolves a volume path ('/' or '\' separated, relative to the root) to an inode.</summary>
    public FsError Resolve(string path, out InodeAttributes attributes)
    {
        attributes = default;
        long ino = RootIno;
        foreach (string part in path.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries))
        {
            // One directory's lock at a time, as a walk of the path by lookups would take them.
            using (_locks.Inode(ino, write: false))
            {
                var e = _tree.Lookup(ino, part, out var next);
                if (e != FsError.Ok)
                {
                    return e;
                }
                ino = next.Ino;
            }
        }
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                attributes = _inodes.Attributes(inode);
            }
            return e;
        }
    }

    /// <summary>The names of an inode's entry: its stored case, as Windows needs for normalized names.</summary>
    public FsError EntryName(long parent, string name, out string storedName)
    {
        storedName = name;
        using (_locks.Inode(parent, write: false))
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

    /// <summary>
    /// Creates an entry and its inode under the directory's lock exclusive: creations in other
    /// directories, and every call on other inodes, go on meanwhile. The new inode is nobody else's
    /// until the entry names it, so its own lock is not needed.
    /// </summary>
    private FsError CreateNode(long parent, string name, CreateRequest request, string? symlinkTarget, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Inode(parent, write: true))
        {
            try
            {
                var e = WritableDirectory(parent, out var dir);
                if (e == FsError.Ok)
                {
                    e = _tree.CheckNewName(dir, name, out string key);
                    if (e == FsError.Ok)
                    {
                        var inode = _inodes.Create(dir, request);
                        inode.SymlinkTarget = symlinkTarget;
                        if (symlinkTarget != null)
                        {
                            inode.Size = System.Text.Encoding.UTF8.GetByteCount(symlinkTarget);
                        }
                        dir.Children!.Add(name, key, inode.Ino, EntryType.Of(inode.Mode));
                        if (inode.IsDirectory)
                        {
                            dir.Nlink++;
                        }
                        _tree.Touch(dir);
                        attributes = _inodes.Attributes(inode);
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

    public FsError ReadLink(long ino, out string target)
    {
        target = "";
        using (_locks.Shared())
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

    /// <summary>
    /// Gives an inode one more name (an unnamed O_TMPFILE inode its first). Holds the volume lock
    /// shared with the inode's and the directory's locks exclusive, in stripe order.
    /// </summary>
    public FsError Link(long ino, long newParent, string newName, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Inodes(ino, true, newParent, true))
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
                e = _tree.CheckNewName(dir, newName, out string key);
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.AddLink(inode, dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                dir.Children!.Add(newName, key, inode.Ino, EntryType.Of(inode.Mode));
                inode.ChangeTime = Now();
                Changed(inode);
                _tree.Touch(dir);
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

    /// <summary>
    /// Removes a name, holding the volume lock shared with the directory's and the named inode's locks
    /// exclusive, in stripe order, as Linux's unlink locks the parent and the victim: calls on other
    /// inodes go on. Which inode to lock is learned by a lookup first; once both locks are held the
    /// name is looked up again, and if a rename changed what it names meanwhile, the call starts over.
    /// </summary>
    private FsError Remove(long parent, string name, bool directory)
    {
        while (true)
        {
            long named = NamedIno(parent, name);
            using (named < 0 ? _locks.Inode(parent, write: true) : _locks.Inodes(parent, true, named, true))
            {
                try
                {
                    var e = RemoveLocked(parent, name, directory, named, out bool renamed);
                    if (!renamed)
                    {
                        return e;
                    }
                }
                catch (Exception e) when (_health.Fault(e, "remove"))
                {
                    return FsError.Io;
                }
            }
        }
    }

    /// <summary>The inode <paramref name="name"/> names in <paramref name="parent"/> right now, or -1 (no such directory or entry, or a name no entry can have).</summary>
    private long NamedIno(long parent, string name)
    {
        using (_locks.Inode(parent, write: false))
        {
            return EntryAt(parent, name, out long ino) ? ino : -1;
        }
    }

    /// <summary>
    /// <see cref="Remove"/> under its locks. <paramref name="renamed"/> is set, with nothing changed,
    /// when the name no longer names <paramref name="locked"/> (-1: nothing was found before).
    /// </summary>
    private FsError RemoveLocked(long parent, string name, bool directory, long locked, out bool renamed)
    {
        renamed = false;
        var e = WritableDirectory(parent, out var dir);
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
        bool found = dir.Children!.TryGet(key, out var record);
        if ((found ? record!.Ino : -1) != locked)
        {
            renamed = true;
            return FsError.Ok;
        }
        if (!found || _inodes.TryGet(record!.Ino, out var inode) != FsError.Ok)
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
        if (directory && !inode.Children!.IsEmpty)
        {
            return FsError.NotEmpty;
        }
        e = FlagRules.CheckRemovable(dir, inode);
        if (e != FsError.Ok)
        {
            return e;
        }
        dir.Children.Remove(key);
        _tree.Touch(dir);
        _inodes.DropLink(dir, inode);
        return FsError.Ok;
    }

    /// <summary>
    /// Renames an entry. With <see cref="RenameFlags.Whiteout"/>, <paramref name="whiteoutOwner"/> gives the
    /// owner of the whiteout left in the source's place (its mode and device are fixed: a character device 0/0).
    /// A rename that involves no directory but the two parents (a file moved, replacing another or
    /// not, exchanged, or leaving a whiteout) holds the volume lock shared with the locks of both
    /// directories, the moved inode and the replaced one, exclusive, in stripe order, as Linux's
    /// lock_rename and lock_two_nondirectories. Which inodes those are is learned by lookups first;
    /// once the locks are held the names are looked up again, and if a rename changed them meanwhile
    /// the call starts over. A directory moved or replaced runs with the volume lock exclusive, which
    /// is the rename lock Linux keeps per volume: the ancestry check walks directories' parents, and
    /// only such renames change those.
    /// </summary>
    public FsError Rename(long parent, string name, long newParent, string newName, RenameFlags flags, in CreateRequest whiteoutOwner = default)
    {
        if ((flags & RenameFlags.Exchange) != 0 && (flags & (RenameFlags.NoReplace | RenameFlags.Whiteout)) != 0)
        {
            return FsError.InvalidArgument;
        }
        while (RenameTargets(parent, name, newParent, newName, out long moved, out long replaced))
        {
            using (_locks.InodesExclusive(parent, newParent, moved, replaced))
            {
                try
                {
                    if (!RenameTargetsStill(parent, name, newParent, newName, moved, replaced, out var fromDir, out var toDir))
                    {
                        continue;
                    }
                    var e = CheckWritable();
                    return e != FsError.Ok ? e : _tree.Rename(fromDir, name, toDir, newName, flags, whiteoutOwner);
                }
                catch (Exception e) when (_health.Fault(e, "rename"))
                {
                    return FsError.Io;
                }
            }
        }
        using (_locks.Exclusive())
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.TryGetDirectory(parent, out var fromDir);
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGetDirectory(newParent, out var toDir);
                    if (e == FsError.Ok)
                    {
                        e = _tree.Rename(fromDir, name, toDir, newName, flags, whiteoutOwner);
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

    /// <summary>
    /// Under the two directories' locks shared: whether the rename involves no directory but the two
    /// parents, and if so the inode it moves and the one it replaces (-1: none). False sends the call
    /// to the exclusive path, which also answers every error (a missing directory or source).
    /// </summary>
    private bool RenameTargets(long parent, string name, long newParent, string newName, out long moved, out long replaced)
    {
        moved = replaced = -1;
        using (_locks.Inodes(parent, false, newParent, false))
        {
            return NonDirectoryAt(parent, name, out moved) && moved >= 0 && NonDirectoryAt(newParent, newName, out replaced);
        }
    }

    /// <summary>Under the rename's locks: whether the names still name what <see cref="RenameTargets"/> found, and the two directories.</summary>
    private bool RenameTargetsStill(long parent, string name, long newParent, string newName, long moved, long replaced, out Inode fromDir, out Inode toDir)
    {
        toDir = null!;
        return _inodes.TryGetDirectory(parent, out fromDir) == FsError.Ok && _inodes.TryGetDirectory(newParent, out toDir) == FsError.Ok
            && NonDirectoryAt(parent, name, out long nowMoved) && nowMoved == moved
            && NonDirectoryAt(newParent, newName, out long nowReplaced) && nowReplaced == replaced;
    }

    /// <summary>
    /// Whether <paramref name="dir"/> is a directory whose entry <paramref name="name"/> (under the
    /// volume's folding) is missing (<paramref name="ino"/> -1) or names an inode that is not a directory.
    /// </summary>
    private bool NonDirectoryAt(long dir, string name, out long ino) =>
        EntryAt(dir, name, out ino) && (ino < 0 || (_inodes.TryGet(ino, out var inode) == FsError.Ok && !inode.IsDirectory));

    /// <summary>
    /// Whether <paramref name="dir"/> is a directory and <paramref name="name"/> a name an entry can
    /// have (not "." or ".."); <paramref name="ino"/> is the inode its entry names under the volume's
    /// folding, whether or not that inode exists, or -1 when there is no such entry.
    /// </summary>
    private bool EntryAt(long dir, string name, out long ino)
    {
        ino = -1;
        if (_inodes.TryGetDirectory(dir, out var d) != FsError.Ok || name is "." or ".." || NameRules.Validate(name) != FsError.Ok)
        {
            return false;
        }
        if (d.Children!.TryGet(_state.Settings.Folding.Key(name), out var record))
        {
            ino = record.Ino;
        }
        return true;
    }
}
