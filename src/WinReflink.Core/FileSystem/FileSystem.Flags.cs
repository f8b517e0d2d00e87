using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>
/// chattr flags (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS) and the rules they impose, as ext4 and XFS enforce
/// them: the engine checks them on every path, so the CLI and the Windows host obey them too (the Linux
/// kernel cannot: it does not know a FUSE inode's flags).
/// </summary>
public sealed partial class FileSystem
{
    private const InodeFlags SettableFlags = InodeFlags.Immutable | InodeFlags.AppendOnly | InodeFlags.NoDump;
    private const InodeFlags Protected = InodeFlags.Immutable | InodeFlags.AppendOnly;

    public FsError GetFlags(long ino, out InodeFlags flags)
    {
        flags = InodeFlags.None;
        lock (_lock)
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
        if ((flags & ~SettableFlags) != 0)
        {
            return FsError.NotSupported;
        }
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
                if (((inode.Flags ^ flags) & Protected) != 0 && !privileged)
                {
                    return FsError.PermissionDenied;
                }
                if ((inode.Flags & InodeFlags.Immutable) != 0 && (flags & InodeFlags.Immutable) != 0 && flags != inode.Flags)
                {
                    // An immutable inode changes nothing, not even its other flags, until the flag is cleared.
                    return FsError.PermissionDenied;
                }
                inode.Flags = flags;
                inode.FlagsChanged = true;
                inode.ChangeTime = Now();
                Changed(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "setflags"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>Whether a name may be added to the directory (not while it is immutable).</summary>
    private static FsError CheckEntriesAddable(Inode dir) =>
        (dir.Flags & InodeFlags.Immutable) != 0 ? FsError.PermissionDenied : FsError.Ok;

    /// <summary>
    /// Whether the inode's name in <paramref name="dir"/> may go (unlink, rmdir, rename from or over it):
    /// not from an immutable or append-only directory, nor when the inode itself is one (Linux's may_delete).
    /// </summary>
    private static FsError CheckRemovable(Inode dir, Inode inode) =>
        ((dir.Flags | inode.Flags) & Protected) != 0 ? FsError.PermissionDenied : FsError.Ok;

    /// <summary>A write of file data at <paramref name="offset"/>: none to an immutable file, only past the end of an append-only one.</summary>
    private static FsError CheckDataWritable(Inode file, long offset)
    {
        if ((file.Flags & InodeFlags.Immutable) != 0)
        {
            return FsError.PermissionDenied;
        }
        return (file.Flags & InodeFlags.AppendOnly) != 0 && offset < file.Size ? FsError.PermissionDenied : FsError.Ok;
    }

    /// <summary>
    /// fallocate: nothing on an immutable file; on an append-only one only a plain allocation (mode 0 or
    /// KEEP_SIZE), which changes no byte, as Linux's vfs_fallocate.
    /// </summary>
    private static FsError CheckAllocatable(Inode file, AllocateMode mode)
    {
        if ((file.Flags & InodeFlags.Immutable) != 0)
        {
            return FsError.PermissionDenied;
        }
        return (file.Flags & InodeFlags.AppendOnly) != 0 && mode is not (AllocateMode.Allocate or AllocateMode.KeepSize)
            ? FsError.PermissionDenied : FsError.Ok;
    }

    /// <summary>
    /// setattr: nothing on an immutable inode; on an append-only one no size, mode, owner or explicit
    /// time (times set to now are allowed), as Linux's notify_change.
    /// </summary>
    private static FsError CheckAttributesSettable(Inode inode, SetAttributeFields fields)
    {
        if ((inode.Flags & InodeFlags.Immutable) != 0)
        {
            return FsError.PermissionDenied;
        }
        const SetAttributeFields refusedWhenAppendOnly = SetAttributeFields.Size | SetAttributeFields.Mode | SetAttributeFields.Uid
            | SetAttributeFields.Gid | SetAttributeFields.AccessTime | SetAttributeFields.ModifyTime | SetAttributeFields.BirthTime
            | SetAttributeFields.WindowsAttributes;
        return (inode.Flags & InodeFlags.AppendOnly) != 0 && (fields & refusedWhenAppendOnly) != 0 ? FsError.PermissionDenied : FsError.Ok;
    }

    /// <summary>Extended attributes and security descriptors: not on an immutable or append-only inode (Linux's xattr_permission).</summary>
    private static FsError CheckMetadataWritable(Inode inode) =>
        (inode.Flags & Protected) != 0 ? FsError.PermissionDenied : FsError.Ok;

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
        return e != FsError.Ok ? e : CheckMetadataWritable(inode);
    }

    /// <summary>An open: not for writing an immutable file; an append-only one only for appending, never truncated (Linux's may_open).</summary>
    private static FsError CheckOpen(Inode inode, OpenIntent intent)
    {
        bool writes = (intent & (OpenIntent.Write | OpenIntent.Truncate)) != 0;
        if ((inode.Flags & InodeFlags.Immutable) != 0 && writes)
        {
            return FsError.PermissionDenied;
        }
        if ((inode.Flags & InodeFlags.AppendOnly) != 0
            && ((intent & OpenIntent.Truncate) != 0 || ((intent & OpenIntent.Write) != 0 && (intent & OpenIntent.Append) == 0)))
        {
            return FsError.PermissionDenied;
        }
        return FsError.Ok;
    }
}
