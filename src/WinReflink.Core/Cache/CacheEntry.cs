using System.Numerics;

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
    /// <summary>Blocks whose copy the background writer is writing now (outside the cache's lock): dirty ones and the clean gaps it fills between them (ExtentCache.WriteRuns.cs).</summary>
    public ulong InFlight;
    /// <summary>
    /// Blocks among <see cref="InFlight"/> written or discarded since the writer copied them: the copy on
    /// its way to disk is stale for them, so they stay dirty when it lands.
    /// </summary>
    public ulong Redirtied;
    /// <summary>
    /// Blocks a reader is reading from the store into <see cref="Buffer"/> now, outside every lock
    /// (<see cref="ReadLoad"/>). Disjoint from <see cref="Valid"/>; while it is not zero the entry is
    /// pinned: it is not evicted, dropped or disposed, and nobody else touches those blocks' bytes.
    /// </summary>
    public ulong Loading;
    /// <summary>
    /// Engine calls holding this entry across a wait on the cache's lock (for a load to land, a batch,
    /// or room): several threads call the cache at once, and another may evict or discard meanwhile.
    /// While not zero the entry is neither evicted nor dropped.
    /// </summary>
    public int Pins;
    /// <summary>Blocks among <see cref="Loading"/> discarded since the load began: the bytes landing for them are stale and stay invalid.</summary>
    public ulong Superseded;
    /// <summary>Blocks in the <see cref="ContentIndex"/>: clean and valid, with their hashes in <see cref="Hashes"/>.</summary>
    public ulong Indexed;
    /// <summary>
    /// Dirty blocks whose <see cref="Hashes"/> entry is the hash of their bytes, given by the write that
    /// wrote them whole (copy recognition hashed them for its lookup): write-back indexes them without
    /// hashing again. Any other write to such a block, or its discard, clears it; so does its becoming clean.
    /// </summary>
    public ulong HashKnown;
    /// <summary>The hash of each block of <see cref="Indexed"/> or <see cref="HashKnown"/>, so it enters and leaves the index without hashing again.</summary>
    public WindowHashes Hashes;
    /// <summary>
    /// Brought in by a load and not read since (readahead, or a read between its passes): its next
    /// read is its first use (or the same one), not a second. Only ever set on probation.
    /// </summary>
    public bool UsePending;
    /// <summary>
    /// Sorted by inode, then logical base, and each (inode, logical base) once: a file that maps the
    /// window at two offsets (cloned within itself) is two owners, and the owners of one file sit
    /// together so statistics can count distinct files in one pass.
    /// </summary>
    public readonly List<OwnerBlocks> Owners = new();
    public bool Protected;
    public LinkedListNode<CacheEntry>? Node;

    public void AddOwner(long ino, long logicalBase, ulong blocks)
    {
        int i = 0;
        for (; i < Owners.Count; i++)
        {
            var o = Owners[i];
            if (o.Ino == ino && o.Owner.LogicalBase == logicalBase)
            {
                o.Blocks |= blocks;
                return;
            }
            if (o.Ino > ino || (o.Ino == ino && o.Owner.LogicalBase > logicalBase))
            {
                break;
            }
        }
        Owners.Insert(i, new OwnerBlocks(new CacheOwner(ino, logicalBase), blocks));
    }

    /// <summary>The owner (inode, logical base) no longer maps these blocks of the window; other mappings of the same inode keep theirs.</summary>
    public void RemoveOwner(long ino, long logicalBase, ulong blocks)
    {
        for (int i = 0; i < Owners.Count; i++)
        {
            var o = Owners[i];
            if (o.Ino == ino && o.Owner.LogicalBase == logicalBase)
            {
                o.Blocks &= ~blocks;
                if (o.Blocks == 0)
                {
                    Owners.RemoveAt(i);
                }
                return;
            }
        }
    }

    /// <summary>
    /// Blocks of the window, among <paramref name="valid"/>, that a per-file cache would hold more than
    /// once: for each block, the distinct files using it, less one. O(owners), as owners are grouped by inode.
    /// </summary>
    public int ExtraCopies(ulong valid)
    {
        int perFile = 0;
        ulong anyFile = 0;
        for (int i = 0; i < Owners.Count;)
        {
            long ino = Owners[i].Ino;
            ulong fileBlocks = 0;
            for (; i < Owners.Count && Owners[i].Ino == ino; i++)
            {
                fileBlocks |= Owners[i].Blocks;
            }
            perFile += BitOperations.PopCount(fileBlocks & valid);
            anyFile |= fileBlocks;
        }
        return perFile - BitOperations.PopCount(anyFile & valid);
    }
}
