using WinReflink.Core.Errors;

namespace WinReflink.Core.Namespace;

/// <summary>
/// What keeps an inode alive besides its names: open handles (<see cref="Inode.OpenCount"/>) and host
/// references without a handle (<see cref="Inode.References"/>: the FUSE kernel keeps every node id it
/// was given until it forgets it — a working directory, an O_PATH descriptor, a cached dentry).
/// Invariants on return: neither count is negative; the root is never let go; an inode with no name is
/// claimed for destruction (<see cref="InodeTable.ClaimIfUnheld"/>) as soon as both are zero, unless the
/// volume is read-only, when the next open reclaims it; no count is taken on a claimed inode. References
/// live in memory only: after a restart no host holds any; those of an inode dropped from memory wait in
/// <see cref="ParkedReferences"/>. Callers hold the volume lock, at least
/// shared; each count changes under the inode's monitor (<see cref="Inode"/>), since an unlink of the
/// inode, holding other locks, may be deciding its fate at the same moment.
/// </summary>
internal sealed class OpenCounts
{
    private readonly InodeTable _inodes;
    private readonly ParkedReferences _parked;

    public OpenCounts(InodeTable inodes, ParkedReferences parked)
    {
        _inodes = inodes;
        _parked = parked;
    }

    /// <summary>A host reference (FUSE: one per reply that gives the kernel an entry); false when the inode is being destroyed.</summary>
    public static bool Reference(Inode inode)
    {
        lock (inode)
        {
            if (inode.Destroyed)
            {
                return false;
            }
            inode.References++;
            return true;
        }
    }

    /// <summary>
    /// Drops <paramref name="count"/> host references, clamped at zero. True when that was the last
    /// hold of an inode with no name: the caller destroys it (<see cref="InodeTable.Destroy"/>).
    /// </summary>
    public static bool Unreference(Inode inode, long count, bool readOnly)
    {
        if (inode.Ino == FileSystem.RootIno)
        {
            return false;
        }
        lock (inode)
        {
            inode.References = Math.Max(0, inode.References - count);
            return InodeTable.ClaimIfUnheld(inode, readOnly);
        }
    }

    /// <summary>The host lets go of every reference (its session ended); unnamed inodes nothing holds open are reclaimed. The caller holds the volume lock exclusively.</summary>
    public void UnreferenceAll(bool readOnly)
    {
        foreach (var inode in _inodes.Resident)
        {
            lock (inode)
            {
                inode.References = 0;
            }
        }
        _parked.Clear();
        _inodes.ReclaimUnheldOrphans(readOnly);
    }

    /// <summary>Counts an open handle once <paramref name="intent"/> passes the chattr rules; nothing is counted when it does not, or when the inode is being destroyed (NotFound).</summary>
    public static FsError Open(Inode inode, OpenIntent intent)
    {
        var e = FlagRules.CheckOpen(inode, intent);
        if (e != FsError.Ok)
        {
            return e;
        }
        lock (inode)
        {
            if (inode.Destroyed)
            {
                return FsError.NotFound;
            }
            inode.OpenCount++;
            return FsError.Ok;
        }
    }

    /// <summary>
    /// Drops an open handle (one more release than opens is ignored). True when that was the last hold
    /// of an inode with no name: the caller destroys it (<see cref="InodeTable.Destroy"/>).
    /// </summary>
    public static bool Release(Inode inode, bool readOnly)
    {
        lock (inode)
        {
            if (inode.OpenCount > 0)
            {
                inode.OpenCount--;
            }
            return InodeTable.ClaimIfUnheld(inode, readOnly);
        }
    }
}
