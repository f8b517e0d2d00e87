using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Namespace;

/// <summary>
/// Every change to an inode's attributes after its creation: setattr (mode, owner, size, times, Windows
/// attributes) and the chattr flags. Invariants on return of every change: the type bits of the mode
/// are those the inode was born with; the stored Windows attributes never hold Directory (it is derived
/// from the type); the change time moved (to now, or to the time the request names) and the transaction
/// knows the inode changed. A refused change changes nothing. Callers hold the volume lock and checked
/// that the volume is writable.
/// </summary>
internal sealed class InodeAttributeWriter
{
    /// <summary>The chattr flags a caller may set; the others are NotSupported.</summary>
    public const InodeFlags SettableFlags = InodeFlags.Immutable | InodeFlags.AppendOnly | InodeFlags.NoDump;

    private readonly Transaction _transaction;
    private readonly DataPath _data;

    public InodeAttributeWriter(Transaction transaction, DataPath data)
    {
        _transaction = transaction;
        _data = data;
    }

    /// <summary>
    /// Applies the request's fields. The chattr rules come first (<see cref="FlagRules.CheckAttributesSettable"/>),
    /// then a size change, the only part that can fail after them (its own checks, then the truncate,
    /// which may need space); nothing else is changed when either refuses, or when the truncate, run with
    /// the volume lock shared (<paramref name="shared"/>), answers that it must run exclusively
    /// (<paramref name="exclusiveNeeded"/>). The caller holds the inode's lock exclusively.
    /// </summary>
    public FsError SetAttributes(Inode inode, in SetAttributesRequest request, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        var e = FlagRules.CheckAttributesSettable(inode, request.Fields);
        if (e != FsError.Ok)
        {
            return e;
        }
        var f = request.Fields;
        long now = FileSystem.Now();
        if ((f & SetAttributeFields.Size) != 0)
        {
            e = Truncate(inode, request.Size, shared, out exclusiveNeeded);
            if (e != FsError.Ok || exclusiveNeeded)
            {
                return e;
            }
            inode.ModifyTime = now;
        }
        if ((f & SetAttributeFields.Mode) != 0)
        {
            inode.Mode = (inode.Mode & PosixMode.TypeMask) | (request.Mode & PosixMode.PermissionMask);
        }
        if ((f & SetAttributeFields.Uid) != 0)
        {
            inode.Uid = request.Uid;
        }
        if ((f & SetAttributeFields.Gid) != 0)
        {
            inode.Gid = request.Gid;
        }
        if ((f & SetAttributeFields.KillSuidSgid) != 0)
        {
            KillSuidSgid(inode);
        }
        if ((f & SetAttributeFields.AccessTimeNow) != 0)
        {
            inode.AccessTime = now;
        }
        else if ((f & SetAttributeFields.AccessTime) != 0)
        {
            inode.AccessTime = request.AccessTime;
        }
        if ((f & SetAttributeFields.ModifyTimeNow) != 0)
        {
            inode.ModifyTime = now;
        }
        else if ((f & SetAttributeFields.ModifyTime) != 0)
        {
            inode.ModifyTime = request.ModifyTime;
        }
        if ((f & SetAttributeFields.BirthTime) != 0)
        {
            inode.BirthTime = request.BirthTime;
        }
        if ((f & SetAttributeFields.WindowsAttributes) != 0)
        {
            inode.WindowsAttributes = request.WindowsAttributes & ~WindowsAttributes.Directory;
        }
        inode.ChangeTime = (f & SetAttributeFields.ChangeTime) != 0 ? request.ChangeTime : now;
        _transaction.Changed(inode);
        return FsError.Ok;
    }

    /// <summary>A new size for a regular file (0 to <see cref="FileSystem.MaxFileSize"/>): the data path unmaps or extends.</summary>
    private FsError Truncate(Inode inode, long size, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        if (inode.IsDirectory)
        {
            return FsError.IsDirectory;
        }
        if (!inode.IsRegular || size < 0)
        {
            return FsError.InvalidArgument;
        }
        if (size > FileSystem.MaxFileSize)
        {
            return FsError.FileTooLarge;
        }
        return _data.Truncate(inode, size, shared, out exclusiveNeeded);
    }

    /// <summary>Clears set-user-ID, and set-group-ID when group execute is set (without it the bit means mandatory locking).</summary>
    public static void KillSuidSgid(Inode inode)
    {
        if (inode.IsDirectory)
        {
            return;
        }
        inode.Mode &= ~PosixMode.SetUid;
        if ((inode.Mode & 0x8) != 0)
        {
            inode.Mode &= ~PosixMode.SetGid;
        }
    }

    /// <summary>
    /// Sets the chattr flags (the caller checked they are among <see cref="SettableFlags"/>). Changing
    /// Immutable or AppendOnly needs <paramref name="privileged"/>; an immutable inode changes none of
    /// its flags until Immutable itself is cleared.
    /// </summary>
    public FsError SetFlags(Inode inode, InodeFlags flags, bool privileged)
    {
        if (((inode.Flags ^ flags) & FlagRules.Protected) != 0 && !privileged)
        {
            return FsError.PermissionDenied;
        }
        if ((inode.Flags & InodeFlags.Immutable) != 0 && (flags & InodeFlags.Immutable) != 0 && flags != inode.Flags)
        {
            return FsError.PermissionDenied;
        }
        inode.Flags = flags;
        inode.FlagsChanged = true;
        inode.ChangeTime = FileSystem.Now();
        _transaction.Changed(inode);
        return FsError.Ok;
    }
}
