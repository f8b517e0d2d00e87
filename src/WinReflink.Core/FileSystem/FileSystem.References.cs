using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>
/// How long an inode lives: checks, the lock, and <see cref="OpenCounts"/>. A host may hold an inode
/// without an open handle (the FUSE kernel keeps every node id it was given until it forgets it); an
/// inode with no name is destroyed exactly when it has no open handle and no host reference, and until
/// then it is an orphan, recorded in meta.db, so a crash reclaims it at the next open.
/// </summary>
public sealed partial class FileSystem
{
    /// <summary>
    /// Takes a host reference on an inode (FUSE: one per reply that gives the kernel an entry) and
    /// returns its attributes as of that moment. NotFound when the inode is gone, so the host answers
    /// ENOENT rather than hand out a dead node.
    /// </summary>
    public FsError Reference(long ino, out InodeAttributes attributes)
    {
        attributes = default;
        using (_locks.Shared())
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                if (e == FsError.Ok)
                {
                    if (!OpenCounts.Reference(inode))
                    {
                        return FsError.NotFound;
                    }
                    attributes = _inodes.Attributes(inode);
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "lookup"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Drops <paramref name="count"/> host references (FUSE FORGET's nlookup); the last one reclaims an
    /// inode that has no name and no open handle. More than were taken is clamped at zero.
    /// </summary>
    public void Unreference(long ino, long count)
    {
        using (_locks.Shared())
        {
            try
            {
                if (_inodes.UnreferenceIfNotResident(ino, count))
                {
                    return;
                }
                if (_inodes.TryGet(ino, out var inode) == FsError.Ok && OpenCounts.Unreference(inode, count, IsReadOnly))
                {
                    _inodes.Destroy(inode);
                }
            }
            catch (Exception e) when (_health.Fault(e, "forget"))
            {
                // FORGET has no reply: the fault made the volume read-only and is logged.
            }
        }
    }

    /// <summary>The host lets go of every reference (its session ended); orphans nothing holds open are reclaimed.</summary>
    public void UnreferenceAll()
    {
        using (_locks.Exclusive())
        {
            _inodes.Opens.UnreferenceAll(IsReadOnly);
        }
    }

    /// <summary>
    /// Creates a regular file with no name in <paramref name="parent"/> (O_TMPFILE): an orphan from
    /// birth, open once (release it as any handle), which <see cref="Link"/> may give a name.
    /// </summary>
    public FsError CreateTemporary(long parent, in CreateRequest request, out InodeAttributes attributes)
    {
        attributes = default;
        if ((request.Mode & PosixMode.TypeMask) is not (0 or PosixMode.Regular))
        {
            return FsError.InvalidArgument;
        }
        // The directory's lock shared is enough: the new inode has no name, and an rmdir of the
        // directory, which would make it unfit to hold one, takes that lock exclusively.
        using (_locks.Inode(parent, write: false))
        {
            try
            {
                var e = WritableDirectory(parent, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (dir.Nlink == 0)
                {
                    return FsError.NotFound;
                }
                attributes = _inodes.Attributes(_inodes.CreateUnnamed(dir, request));
                return FsError.Ok;
            }
            catch (Exception e) when (_health.Fault(e, "tmpfile"))
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
        using (_locks.Shared())
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                return e != FsError.Ok ? e : OpenCounts.Open(inode, intent);
            }
            catch (Exception e) when (_health.Fault(e, "open"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Drops an open handle; the last hold of an inode with no name destroys it. Needs only the volume
    /// lock shared: the counts change under the inode's monitor, where an unlink decides too.
    /// </summary>
    public FsError Release(long ino)
    {
        using (_locks.Shared())
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                if (e == FsError.Ok && OpenCounts.Release(inode, IsReadOnly))
                {
                    _inodes.Destroy(inode);
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "release"))
            {
                return FsError.Io;
            }
        }
    }
}
