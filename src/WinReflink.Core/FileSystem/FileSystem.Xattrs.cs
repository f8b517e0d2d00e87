using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>Extended attributes: checks, the lock, and <see cref="InodeXattrs"/>.</summary>
public sealed partial class FileSystem
{
    public const int MaxXattrNameBytes = InodeXattrs.MaxNameBytes;
    public const int MaxXattrValueBytes = InodeXattrs.MaxValueBytes;

    public FsError GetXattr(long ino, string name, out byte[] value)
    {
        value = Array.Empty<byte>();
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            return e != FsError.Ok ? e : InodeXattrs.Get(inode, name, out value);
        }
    }

    public FsError ListXattrs(long ino, out IReadOnlyList<string> names)
    {
        names = Array.Empty<string>();
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                names = InodeXattrs.Names(inode);
            }
            return e;
        }
    }

    public FsError SetXattr(long ino, string name, ReadOnlySpan<byte> value, XattrFlags flags)
    {
        var e = InodeXattrs.CheckArguments(name, value.Length);
        if (e != FsError.Ok)
        {
            return e;
        }
        using (_locks.Inode(ino, write: true))
        {
            try
            {
                e = TryGetForMetadataChange(ino, out var inode);
                return e != FsError.Ok ? e : _inodes.Xattrs.Set(inode, name, value, flags);
            }
            catch (Exception x) when (_health.Fault(x, "setxattr"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError RemoveXattr(long ino, string name)
    {
        using (_locks.Inode(ino, write: true))
        {
            try
            {
                var e = TryGetForMetadataChange(ino, out var inode);
                return e != FsError.Ok ? e : _inodes.Xattrs.Remove(inode, name);
            }
            catch (Exception e) when (_health.Fault(e, "removexattr"))
            {
                return FsError.Io;
            }
        }
    }
}
