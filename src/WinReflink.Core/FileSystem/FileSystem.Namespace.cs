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

    private FsError CreateNode(long parent, string name, CreateRequest request, string? symlinkTarget, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Exclusive())
        {
            try
            {
                var e = CheckWritable();
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGetDirectory(parent, out var dir);
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
                            dir.Children!.Add(name, key, inode.Ino);
                            if (inode.IsDirectory)
                            {
                                dir.Nlink++;
                            }
                            _tree.Touch(dir);
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
    /// Gives an inode one more name. Holds the volume lock shared with the inode's and the directory's
    /// locks exclusive (in stripe order); linking an unnamed inode (O_TMPFILE) takes it off the orphan
    /// list, which only a call holding the volume lock exclusively may change, so that one runs again so.
    /// </summary>
    public FsError Link(long ino, long newParent, string newName, out InodeAttributes attributes)
    {
        using (_locks.Inodes(ino, true, newParent, true))
        {
            var e = LinkLocked(ino, newParent, newName, exclusive: false, out attributes, out bool exclusiveNeeded);
            if (!exclusiveNeeded)
            {
                return e;
            }
        }
        using (_locks.Exclusive())
        {
            return LinkLocked(ino, newParent, newName, exclusive: true, out attributes, out _);
        }
    }

    private FsError LinkLocked(long ino, long newParent, string newName, bool exclusive, out InodeAttributes attributes, out bool exclusiveNeeded)
    {
        attributes = default;
        exclusiveNeeded = false;
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
            if (inode.Nlink == 0)
            {
                if (!exclusive)
                {
                    exclusiveNeeded = true;
                    return FsError.Ok;
                }
                _inodes.Adopt(inode, dir);
            }
            dir.Children!.Add(newName, key, inode.Ino);
            inode.Nlink++;
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

    public FsError Unlink(long parent, string name) => Remove(parent, name, directory: false);

    public FsError Rmdir(long parent, string name) => Remove(parent, name, directory: true);

    private FsError Remove(long parent, string name, bool directory)
    {
        using (_locks.Exclusive())
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
            catch (Exception e) when (_health.Fault(e, "remove"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Renames an entry. With <see cref="RenameFlags.Whiteout"/>, <paramref name="whiteoutOwner"/> gives the
    /// owner of the whiteout left in the source's place (its mode and device are fixed: a character device 0/0).
    /// A file moved to a name that does not exist yet holds the volume lock shared with the two
    /// directories' locks exclusive (in stripe order): only those directories, the moved inode's
    /// change time and the running transaction change. Every other rename (a directory moved: its
    /// parent and the ancestry check; a name replaced: a link dropped, perhaps an inode reclaimed; an
    /// exchange; a whiteout: an inode created) runs with the volume lock exclusive.
    /// </summary>
    public FsError Rename(long parent, string name, long newParent, string newName, RenameFlags flags, in CreateRequest whiteoutOwner = default)
    {
        if ((flags & (RenameFlags.Exchange | RenameFlags.Whiteout)) == 0)
        {
            using (_locks.Inodes(parent, true, newParent, true))
            {
                try
                {
                    if (IsPlainMove(parent, name, newParent, newName, out var fromDir, out var toDir))
                    {
                        var e = CheckWritable();
                        return e != FsError.Ok ? e : _tree.Rename(fromDir, name, toDir, newName, flags, whiteoutOwner);
                    }
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
    /// Under the two directories' locks: whether this rename moves an entry that is not a directory to
    /// a name that does not exist in the target directory (under the volume's folding, so not a
    /// respelling of the same entry either), the one rename that needs no more than those locks.
    /// The names are not checked here: <see cref="DirectoryTree.Rename"/> checks them on either path,
    /// and answers the same. Anything else is left to the exclusive path to decide and answer.
    /// </summary>
    private bool IsPlainMove(long parent, string name, long newParent, string newName, out Inode fromDir, out Inode toDir)
    {
        toDir = null!;
        if (_inodes.TryGetDirectory(parent, out fromDir) != FsError.Ok || _inodes.TryGetDirectory(newParent, out toDir) != FsError.Ok)
        {
            return false;
        }
        var folding = _state.Settings.Folding;
        return fromDir.Children!.TryGet(folding.Key(name), out var record)
            && _inodes.TryGet(record.Ino, out var moved) == FsError.Ok && !moved.IsDirectory
            && !toDir.Children!.TryGet(folding.Key(newName), out _);
    }
}
