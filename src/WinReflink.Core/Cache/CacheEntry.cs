namespace WinReflink.Core.Cache;

/// <summary>A file that maps a cache window: the inode and the logical block that maps the window's first block.</summary>
internal readonly record struct CacheOwner(long Ino, long LogicalBase);

/// <summary>An owner and the blocks of the window it has used, so sharing is counted per block, not per window.</summary>
internal sealed class OwnerBlocks
{
    public OwnerBlocks(CacheOwner owner, ulong blocks)
    {
        Owner = owner;
        Blocks = blocks;
    }

    public CacheOwner Owner { get; }
    public long Ino => Owner.Ino;
    public ulong Blocks { get; set; }
}

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
    public readonly List<OwnerBlocks> Owners = new();
    public bool Protected;
    public LinkedListNode<CacheEntry>? Node;

    public void AddOwner(long ino, long logicalBase, ulong blocks)
    {
        foreach (var o in Owners)
        {
            if (o.Ino == ino && o.Owner.LogicalBase == logicalBase)
            {
                o.Blocks |= blocks;
                return;
            }
        }
        Owners.Add(new OwnerBlocks(new CacheOwner(ino, logicalBase), blocks));
    }

    /// <summary>Distinct inodes that use block <paramref name="b"/> of the window.</summary>
    public int InodesUsing(int b)
    {
        ulong bit = 1UL << b;
        int n = 0;
        for (int i = 0; i < Owners.Count; i++)
        {
            if ((Owners[i].Blocks & bit) == 0)
            {
                continue;
            }
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
            {
                seen = Owners[j].Ino == Owners[i].Ino && (Owners[j].Blocks & bit) != 0;
            }
            if (!seen)
            {
                n++;
            }
        }
        return n;
    }
}
