using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public const int MaxXattrNameBytes = 255;
    public const int MaxXattrValueBytes = 65536;

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

    public FsError GetXattr(long ino, string name, out byte[] value)
    {
        value = Array.Empty<byte>();
        lock (_lock)
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e != FsError.Ok)
            {
                return e;
            }
            if (inode.Xattrs == null || !inode.Xattrs.TryGetValue(name, out var v))
            {
                return FsError.NoAttribute;
            }
            value = v;
            return FsError.Ok;
        }
    }

    public FsError ListXattrs(long ino, out IReadOnlyList<string> names)
    {
        names = Array.Empty<string>();
        lock (_lock)
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok && inode.Xattrs != null)
            {
                names = inode.Xattrs.Keys.Order(StringComparer.Ordinal).ToList();
            }
            return e;
        }
    }

    public FsError SetXattr(long ino, string name, ReadOnlySpan<byte> value, XattrFlags flags)
    {
        if (name.Length == 0)
        {
            return FsError.InvalidArgument;
        }
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxXattrNameBytes)
        {
            return FsError.NameTooLong;
        }
        if (value.Length > MaxXattrValueBytes)
        {
            return FsError.AttributeTooLarge;
        }
        lock (_lock)
        {
            try
            {
                var e = TryGetForMetadataChange(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                bool exists = inode.Xattrs?.ContainsKey(name) == true;
                if ((flags & XattrFlags.Create) != 0 && exists)
                {
                    return FsError.Exists;
                }
                if ((flags & XattrFlags.Replace) != 0 && !exists)
                {
                    return FsError.NoAttribute;
                }
                inode.Xattrs ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                inode.Xattrs[name] = value.ToArray();
                inode.XattrsChanged = true;
                inode.ChangeTime = Now();
                Changed(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "setxattr"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError RemoveXattr(long ino, string name)
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
                if (inode.Xattrs == null || !inode.Xattrs.Remove(name))
                {
                    return FsError.NoAttribute;
                }
                inode.XattrsChanged = true;
                inode.ChangeTime = Now();
                Changed(inode);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "removexattr"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Counts an open handle. An inode whose last name goes while it is open stays readable and
    /// writable through its handles, as an orphan, until the last <see cref="Release"/>. The
    /// <paramref name="intent"/> is checked against the inode's flags (no writing an immutable file,
    /// only appending to an append-only one); nothing is counted when the open is refused.
    /// </summary>
    public FsError OpenInode(long ino, OpenIntent intent = OpenIntent.Read)
    {
        lock (_lock)
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                if (e == FsError.Ok)
                {
                    e = FlagRules.CheckOpen(inode, intent);
                }
                if (e == FsError.Ok)
                {
                    inode.OpenCount++;
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "open"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError Release(long ino)
    {
        lock (_lock)
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (inode.OpenCount > 0)
                {
                    inode.OpenCount--;
                }
                _inodes.ReclaimIfUnheld(inode, IsReadOnly);
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "release"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>Reclaims inodes that were unlinked while open when the volume last went down.</summary>
    private void ReclaimOrphans()
    {
        lock (_lock)
        {
            if (IsReadOnly || !_inodes.HasOrphans)
            {
                return;
            }
            _inodes.ReclaimOrphans();
            _transaction.CommitUnguarded();
        }
    }
}
