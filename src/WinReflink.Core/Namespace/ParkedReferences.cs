using System.Collections.Concurrent;

namespace WinReflink.Core.Namespace;

/// <summary>
/// Host references (<see cref="Inode.References"/>) of inodes dropped from memory while a host still held
/// them (issue 11). The FUSE kernel keeps a reference on every entry a walk like `find` was given until
/// memory pressure makes it forget them, so keeping each such inode resident would let the kernel's
/// cache, not the metadata budget, decide the engine's memory. Only a number per inode stays here; the
/// inode's row in meta.db is the rest of its state. Invariant: an inode number is here only while that
/// inode is not resident, so its count lives in exactly one place.
/// Thread-safety: <see cref="Park"/> runs under the volume lock held exclusively (eviction);
/// <see cref="Restore"/> and <see cref="Drop"/> under the inode table's load lock, so a load and a
/// FORGET of the same number take turns.
/// </summary>
internal sealed class ParkedReferences
{
    private readonly ConcurrentDictionary<long, long> _counts = new();

    /// <summary>Inodes dropped with references the host has not given back yet.</summary>
    public int Count => _counts.Count;

    /// <summary>The inode leaves memory: keeps its host references, if it has any.</summary>
    public void Park(Inode inode)
    {
        if (inode.References > 0)
        {
            _counts[inode.Ino] = inode.References;
        }
    }

    /// <summary>The inode was loaded again: its parked references go back on it.</summary>
    public void Restore(Inode inode)
    {
        if (_counts.TryRemove(inode.Ino, out long references))
        {
            inode.References = references;
        }
    }

    /// <summary>The host gave back <paramref name="count"/> references of an inode that is not resident (clamped at zero, as on a resident one).</summary>
    public void Drop(long ino, long count)
    {
        if (_counts.TryGetValue(ino, out long references))
        {
            if (references <= count)
            {
                _counts.TryRemove(ino, out _);
            }
            else
            {
                _counts[ino] = references - count;
            }
        }
    }

    /// <summary>The host let go of everything (its session ended).</summary>
    public void Clear() => _counts.Clear();
}
