using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>Attributes and security descriptors: checks, the lock, and <see cref="InodeAttributeWriter"/> / <see cref="InodeSecurity"/>.</summary>
public sealed partial class FileSystem
{
    /// <summary>
    /// An inode's attributes. Takes no inode lock, as Linux's getattr: a stat of a file being written
    /// does not wait for the write (which may wait at the dirty limit), and may see its size and
    /// times mid-write, each field whole.
    /// </summary>
    public FsError GetAttributes(long ino, out InodeAttributes attributes)
    {
        attributes = default;
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

    /// <summary>
    /// Sets attributes under the inode's lock exclusive; a truncate whose zeroed tail needs blocks that
    /// are not plainly free runs again with the volume lock exclusive, as a write does.
    /// </summary>
    public FsError SetAttributes(long ino, in SetAttributesRequest request, out InodeAttributes attributes)
    {
        using (_locks.Inode(ino, write: true))
        {
            var e = SetAttributesLocked(ino, request, shared: true, out attributes, out bool exclusiveNeeded);
            if (!exclusiveNeeded)
            {
                return e;
            }
        }
        using (_locks.Exclusive())
        {
            return SetAttributesLocked(ino, request, shared: false, out attributes, out _);
        }
    }

    private FsError SetAttributesLocked(long ino, in SetAttributesRequest request, bool shared, out InodeAttributes attributes, out bool exclusiveNeeded)
    {
        attributes = default;
        exclusiveNeeded = false;
        try
        {
            var e = CheckWritable();
            if (e == FsError.Ok)
            {
                e = _inodes.TryGet(ino, out var inode);
                if (e == FsError.Ok)
                {
                    e = _inodes.AttributeWriter.SetAttributes(inode, request, shared, out exclusiveNeeded);
                }
                if (e == FsError.Ok)
                {
                    attributes = _inodes.Attributes(inode);
                }
            }
            return e;
        }
        catch (Exception e) when (_health.Fault(e, "setattr"))
        {
            return FsError.Io;
        }
    }

    /// <summary>The data calls clear set-ID bits on a write by a non-owner (FileSystem.Data.cs).</summary>
    private static void KillSuidSgid(Inode inode) => InodeAttributeWriter.KillSuidSgid(inode);

    public FsError GetSecurity(long ino, out byte[]? descriptor)
    {
        descriptor = null;
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            if (e == FsError.Ok)
            {
                descriptor = _inodes.Security.Get(inode);
            }
            return e;
        }
    }

    public FsError SetSecurity(long ino, byte[] descriptor)
    {
        using (_locks.Inode(ino, write: true))
        {
            try
            {
                var e = TryGetForMetadataChange(ino, out var inode);
                if (e == FsError.Ok)
                {
                    _inodes.Security.Set(inode, descriptor);
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "setsecurity"))
            {
                return FsError.Io;
            }
        }
    }
}
