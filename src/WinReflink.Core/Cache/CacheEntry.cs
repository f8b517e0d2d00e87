namespace WinReflink.Core.Cache;

/// <summary>A file that maps a cache window: the inode and the logical block that maps the window's first block.</summary>
internal readonly record struct CacheOwner(long Ino, long LogicalBase);

/// <summary>
/// One aligned window of physical blocks in memory. Every file that maps these physical blocks reads
/// and writes through this one buffer, so N clones cost one copy of RAM; <see cref="Owners"/> says
/// which files those are.
/// </summary>
internal sealed class CacheEntry
{
    public CacheEntry(long window, NativeBuffer buffer)
    {
        Window = window;
        Buffer = buffer;
    }

    /// <summary>The first physical block of the window.</summary>
    public long Window { get; }
    public NativeBuffer Buffer { get; }
    public ulong Valid;
    public ulong Dirty;
    public readonly List<CacheOwner> Owners = new();
    public bool Protected;
    public LinkedListNode<CacheEntry>? Node;

    public void AddOwner(CacheOwner owner)
    {
        foreach (var o in Owners)
        {
            if (o == owner)
            {
                return;
            }
        }
        Owners.Add(owner);
    }

    public int DistinctOwnerInodes()
    {
        if (Owners.Count <= 1)
        {
            return Owners.Count;
        }
        int n = 0;
        for (int i = 0; i < Owners.Count; i++)
        {
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
            {
                seen = Owners[j].Ino == Owners[i].Ino;
            }
            if (!seen)
            {
                n++;
            }
        }
        return n;
    }
}
