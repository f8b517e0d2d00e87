using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public FsError Lookup(long parent, string name, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Exclusive())
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
        using (_locks.Exclusive())
        {
            var inode = _inodes.Root;
            foreach (string part in path.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries))
            {
                var e = _tree.Lookup(inode.Ino, part, out inode);
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
        using (_locks.Exclusive())
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
        using (_locks.Exclusive())
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
        using (_locks.Exclusive())
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
                dir.Children!.Add(newName, key, inode.Ino);
                if (inode.Nlink == 0)
                {
                    _inodes.Adopt(inode, dir);
                }
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
    /// </summary>
    public FsError Rename(long parent, string name, long newParent, string newName, RenameFlags flags, in CreateRequest whiteoutOwner = default)
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
}
