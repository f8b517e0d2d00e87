using WinReflink.Core.Errors;

namespace WinReflink.Core.Namespace;

/// <summary>
/// The rules chattr flags impose on every path, as ext4 and XFS enforce them (the engine checks them, so
/// the CLI and the Windows host obey them too; the Linux kernel does not know a FUSE inode's flags).
/// </summary>
internal static class FlagRules
{
    public const InodeFlags Protected = InodeFlags.Immutable | InodeFlags.AppendOnly;

    /// <summary>Whether a name may be added to the directory (not while it is immutable).</summary>
    public static FsError CheckEntriesAddable(Inode dir) =>
        (dir.Flags & InodeFlags.Immutable) != 0 ? FsError.PermissionDenied : FsError.Ok;

    /// <summary>
    /// Whether the inode's name in <paramref name="dir"/> may go (unlink, rmdir, rename from or over it):
    /// not from an immutable or append-only directory, nor when the inode itself is one (Linux's may_delete).
    /// </summary>
    public static FsError CheckRemovable(Inode dir, Inode inode) =>
        ((dir.Flags | inode.Flags) & Protected) != 0 ? FsError.PermissionDenied : FsError.Ok;

    /// <summary>A write of file data at <paramref name="offset"/>: none to an immutable file, only past the end of an append-only one.</summary>
    public static FsError CheckDataWritable(Inode file, long offset)
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
    public static FsError CheckAllocatable(Inode file, AllocateMode mode)
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
    public static FsError CheckAttributesSettable(Inode inode, SetAttributeFields fields)
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
    public static FsError CheckMetadataWritable(Inode inode) =>
        (inode.Flags & Protected) != 0 ? FsError.PermissionDenied : FsError.Ok;

    /// <summary>An open: not for writing an immutable file; an append-only one only for appending, never truncated (Linux's may_open).</summary>
    public static FsError CheckOpen(Inode inode, OpenIntent intent)
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
