using WinReflink.Core.Errors;

namespace WinReflink.Core.Namespace;

/// <summary>
/// What keeps an inode alive besides its names: open handles (<see cref="Inode.OpenCount"/>) and host
/// references without a handle (<see cref="Inode.References"/>: the FUSE kernel keeps every node id it
/// was given until it forgets it — a working directory, an O_PATH descriptor, a cached dentry).
/// Invariants on return: neither count is negative; the root is never let go; an inode with no name is
/// destroyed (<see cref="InodeTable.ReclaimIfUnheld"/>) as soon as both are zero, unless the volume is
/// read-only, when the next open reclaims it. References live in memory only: after a restart no host
/// holds any. Callers hold the volume lock: exclusively to drop a count that may reclaim, at least
/// shared to take one or to drop a named inode's handle, which is why those change the counts
/// atomically (several holders of the shared lock may count the same inode at once).
/// </summary>
internal sealed class OpenCounts
{
    private readonly InodeTable _inodes;

    public OpenCounts(InodeTable inodes)
    {
        _inodes = inodes;
    }

    /// <summary>A host reference (FUSE: one per reply that gives the kernel an entry).</summary>
    public static void Reference(Inode inode) => Interlocked.Increment(ref inode.References);

    /// <summary>Drops <paramref name="count"/> host references, clamped at zero; the last one may reclaim an unnamed inode.</summary>
    public void Unreference(Inode inode, long count, bool readOnly)
    {
        if (inode.Ino == FileSystem.RootIno)
        {
            return;
        }
        inode.References = Math.Max(0, inode.References - count);
        _inodes.ReclaimIfUnheld(inode, readOnly);
    }

    /// <summary>The host lets go of every reference (its session ended); unnamed inodes nothing holds open are reclaimed.</summary>
    public void UnreferenceAll(bool readOnly)
    {
        foreach (var inode in _inodes.All)
        {
            inode.References = 0;
        }
        _inodes.ReclaimUnheldOrphans(readOnly);
    }

    /// <summary>Counts an open handle once <paramref name="intent"/> passes the chattr rules; nothing is counted when it does not.</summary>
    public static FsError Open(Inode inode, OpenIntent intent)
    {
        var e = FlagRules.CheckOpen(inode, intent);
        if (e == FsError.Ok)
        {
            Interlocked.Increment(ref inode.OpenCount);
        }
        return e;
    }

    /// <summary>Drops host references of an inode that has a name (not the root), clamped at zero; no reclaim can follow.</summary>
    public static void UnreferenceNamed(Inode inode, long count)
    {
        long held;
        do
        {
            held = Volatile.Read(ref inode.References);
        }
        while (held > 0 && Interlocked.CompareExchange(ref inode.References, Math.Max(0, held - count), held) != held);
    }

    /// <summary>Drops an open handle of an inode that has a name, which no release reclaims (one more release than opens is ignored).</summary>
    public static void ReleaseNamed(Inode inode)
    {
        int count;
        do
        {
            count = Volatile.Read(ref inode.OpenCount);
        }
        while (count > 0 && Interlocked.CompareExchange(ref inode.OpenCount, count - 1, count) != count);
    }

    /// <summary>Drops an open handle (one more release than opens is ignored); the last one may reclaim an unnamed inode.</summary>
    public void Release(Inode inode, bool readOnly)
    {
        if (inode.OpenCount > 0)
        {
            inode.OpenCount--;
        }
        _inodes.ReclaimIfUnheld(inode, readOnly);
    }
}
