using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>
/// chattr flags (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS): checks, the lock, and <see cref="InodeAttributeWriter"/>.
/// The rules they impose on every path live in <see cref="FlagRules"/>, so the CLI and the Windows host obey
/// them too (the Linux kernel cannot: it does not know a FUSE inode's flags).
/// </summary>
public sealed partial class FileSystem
{
    public FsError GetFlags(long ino, out InodeFlags flags)
    {
        flags = InodeFlags.None;
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                flags = inode.Flags;
            }
            return e;
        }
    }

    /// <summary>
    /// Sets the flags. Flags other than Immutable, AppendOnly and NoDump are NotSupported; changing
    /// Immutable or AppendOnly needs <paramref name="privileged"/> (CAP_LINUX_IMMUTABLE on Linux).
    /// The owner-or-admin check for the other flags is the host's (the Linux kernel makes it).
    /// </summary>
    public FsError SetFlags(long ino, InodeFlags flags, bool privileged)
    {
        if ((flags & ~InodeAttributeWriter.SettableFlags) != 0)
        {
            return FsError.NotSupported;
        }
        using (_locks.Inode(ino, write: true))
        {
            try
            {
                var e = CheckWritable();
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGet(ino, out var inode);
                    if (e == FsError.Ok)
                    {
                        e = _inodes.AttributeWriter.SetFlags(inode, flags, privileged);
                    }
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "setflags"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>The regular file a data call changes: the volume writable, the file there.</summary>
    private FsError WritableRegular(long ino, out Inode file)
    {
        var e = CheckWritable();
        if (e != FsError.Ok)
        {
            file = null!;
            return e;
        }
        return _inodes.TryGetRegular(ino, out file);
    }

    /// <summary>The directory a call adds or removes entries of: the volume writable, the directory there.</summary>
    private FsError WritableDirectory(long ino, out Inode dir)
    {
        var e = CheckWritable();
        if (e != FsError.Ok)
        {
            dir = null!;
            return e;
        }
        return _inodes.TryGetDirectory(ino, out dir);
    }

    /// <summary>The inode whose xattrs or security descriptor a call changes: the volume writable, the inode there, neither immutable nor append-only.</summary>
    private FsError TryGetForMetadataChange(long ino, out Inode inode)
    {
        var e = CheckWritable();
        if (e != FsError.Ok)
        {
            inode = null!;
            return e;
        }
        e = _inodes.TryGet(ino, out inode);
        return e != FsError.Ok ? e : FlagRules.CheckMetadataWritable(inode);
    }
}
