using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public FsError GetAttributes(long ino, out InodeAttributes attributes)
    {
        attributes = default;
        lock (_lock)
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                attributes = _inodes.Attributes(inode);
            }
            return e;
        }
    }

    public FsError SetAttributes(long ino, in SetAttributesRequest request, out InodeAttributes attributes)
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
                if (e == FsError.Ok)
                {
                    e = FlagRules.CheckAttributesSettable(inode, request.Fields);
                }
                if (e != FsError.Ok)
                {
                    return e;
                }
                var f = request.Fields;
                long now = Now();
                if ((f & SetAttributeFields.Size) != 0)
                {
                    if (inode.IsDirectory)
                    {
                        return FsError.IsDirectory;
                    }
                    if (!inode.IsRegular)
                    {
                        return FsError.InvalidArgument;
                    }
                    if (request.Size < 0)
                    {
                        return FsError.InvalidArgument;
                    }
                    if (request.Size > MaxFileSize)
                    {
                        return FsError.FileTooLarge;
                    }
                    e = _data.Truncate(inode, request.Size);
                    if (e != FsError.Ok)
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
                Changed(inode);
                attributes = _inodes.Attributes(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "setattr"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>Clears set-user-ID, and set-group-ID when group execute is set (without it the bit means mandatory locking).</summary>
    private static void KillSuidSgid(Inode inode)
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

    public FsError GetSecurity(long ino, out byte[]? descriptor)
    {
        descriptor = null;
        lock (_lock)
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                descriptor = _state.Security.Get(inode.SecurityId);
            }
            return e;
        }
    }

    public FsError SetSecurity(long ino, byte[] descriptor)
    {
        lock (_lock)
        {
            try
            {
                var e = TryGetForMetadataChange(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                long id = descriptor.Length == 0 ? 0 : _state.Security.Acquire(descriptor);
                _state.Security.Release(inode.SecurityId);
                inode.SecurityId = id;
                inode.ChangeTime = Now();
                Changed(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "setsecurity"))
            {
                return FsError.Io;
            }
        }
    }
}
