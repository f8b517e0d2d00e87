using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>Extended attributes: checks, the lock, and the inode's xattr map.</summary>
public sealed partial class FileSystem
{
    public const int MaxXattrNameBytes = 255;
    public const int MaxXattrValueBytes = 65536;

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
}
