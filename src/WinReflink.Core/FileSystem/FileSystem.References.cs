using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>
/// How long an inode lives. A host may hold an inode without an open handle (the FUSE kernel keeps
/// every node id it was given until it forgets it: a working directory, an O_PATH descriptor, a
/// cached dentry). Invariant: an inode with no name is destroyed exactly when it has no open handle
/// and no host reference; until then it is an orphan, recorded in meta.db, so a crash reclaims it at
/// the next open. References live in memory only: after a restart no host holds any.
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
        lock (_lock)
        {
            try
            {
                var e = _inodes.TryGet(ino, out var inode);
                if (e == FsError.Ok)
                {
                    inode.References++;
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
        lock (_lock)
        {
            if (_inodes.TryGet(ino, out var inode) != FsError.Ok || ino == RootIno)
            {
                return;
            }
            inode.References = Math.Max(0, inode.References - count);
            _inodes.ReclaimIfUnheld(inode, IsReadOnly);
        }
    }

    /// <summary>The host lets go of every reference (its session ended); orphans nothing holds open are reclaimed.</summary>
    public void UnreferenceAll()
    {
        lock (_lock)
        {
            _inodes.DropAllReferences(IsReadOnly);
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
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.TryGetDirectory(parent, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (dir.Nlink == 0)
                {
                    return FsError.NotFound;
                }
                var inode = _inodes.Create(dir, request with { Mode = (request.Mode & ~PosixMode.TypeMask) | PosixMode.Regular });
                inode.Nlink = 0;
                inode.Linkable = true;
                inode.OpenCount = 1;
                _inodes.Orphan(inode);
                attributes = _inodes.Attributes(inode);
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
}
