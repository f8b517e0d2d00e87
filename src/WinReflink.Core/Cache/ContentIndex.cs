using System.Numerics;
using System.Runtime.CompilerServices;

namespace WinReflink.Core.Cache;

/// <summary>A 64-bit hash of one block's bytes. Tests substitute a weak one to force collisions.</summary>
internal delegate ulong BlockHasher(ReadOnlySpan<byte> block);

/// <summary>The hash of each block of a window, by block number in the window; meaningful only where a mask says so.</summary>
[InlineArray(ExtentCache.WindowBlocks)]
internal struct WindowHashes
{
    private ulong _block0;
}

/// <summary>
/// Which cached physical blocks hold which bytes: a map from a hash of a block's bytes to the physical
/// blocks the ExtentCache holds with those bytes, so a write repeating cached data can find a block to
/// share instead of writing its own (issue 10). The hash only narrows: a candidate is trusted only
/// after its bytes compare equal (<see cref="ExtentCache.FindRun"/>).
/// The ExtentCache calls it under its <c>_gate</c>, all but <see cref="Hash"/>, which touches no
/// state. Invariants there (checked by
/// <see cref="ExtentCache.CheckContentIndex"/>):
/// <list type="bullet">
/// <item>Indexed ⊆ Valid in every entry, and a dirty indexed block is one a write gave whole with its
/// hash (<see cref="CacheEntry.HashKnown"/>): a clean, fully valid block (read from the store, or
/// written to it and not written since), or one just written whole. A block being loaded or
/// superseded (never Valid), a partial or invalid one, one written in part, and any block of a window
/// no longer cached never is. A dirty block may still be written in place by its owner; the write
/// that shares it holds what prevents that (Data/CopyRecognizer.cs), and the commit that makes the
/// sharing durable writes it first.</item>
/// <item>For each indexed block b of an entry, <c>entry.Hashes[b]</c> is the hash of its bytes in the
/// entry's buffer, and the map holds the block under that hash, once.</item>
/// <item>The map holds nothing else, so it never holds more blocks than the cache does: an entry
/// leaves with its block's validity, cleanness or window.</item>
/// <item>At most <see cref="MaxBlocksPerHash"/> blocks per hash. A block that becomes clean (or is
/// written whole) while its hash has that many stays out until it is clean again after a write; every
/// other clean valid block is indexed.</item>
/// </list>
/// </summary>
internal sealed class ContentIndex
{
    /// <summary>
    /// The most blocks kept under one hash. Blocks with equal bytes share it (zeros, a file cached
    /// beside its copy): one is enough to match, a few let a run lookup pick the candidate whose
    /// following blocks match longest. Real 64-bit collisions are too rare to need more room.
    /// </summary>
    public const int MaxBlocksPerHash = 4;

    /// <summary>Bytes of one entry of a Dictionary&lt;ulong, long&gt; slot: hash code, next, key, value and a bucket.</summary>
    private const int SlotBytes = 4 + 4 + 8 + 8 + 4;
    /// <summary>A hash with several blocks: its slot plus a List&lt;long&gt; and its array of <see cref="MaxBlocksPerHash"/>.</summary>
    private const int SeveralBytes = SlotBytes + 32 + 24 + 8 * MaxBlocksPerHash;

    private readonly BlockHasher _hasher;
    /// <summary>Hashes with one block, nearly all of them: no list each.</summary>
    private readonly Dictionary<ulong, long> _one = new();
    /// <summary>Hashes with 2..<see cref="MaxBlocksPerHash"/> blocks.</summary>
    private readonly Dictionary<ulong, List<long>> _several = new();

    public ContentIndex(BlockHasher hasher)
    {
        _hasher = hasher;
    }

    /// <summary>
    /// XXH3, 64 bits: about 140 ns a 4 KiB block here, three copies' worth when the block is in the CPU
    /// cache and less than one when it streams from memory (tools/bench/content-index).
    /// </summary>
    public static ulong XxHash3(ReadOnlySpan<byte> block) => System.IO.Hashing.XxHash3.HashToUInt64(block);

    /// <summary>Blocks indexed.</summary>
    public int Count { get; private set; }

    /// <summary>What the map takes in managed memory, by its capacity (the per-window hashes live in the cache's entries).</summary>
    public long MemoryBytes => (long)_one.Capacity * SlotBytes + (long)_several.Capacity * SeveralBytes;

    /// <summary>The hash of one block's bytes; reads no state of the index, so needs no lock.</summary>
    public ulong Hash(ReadOnlySpan<byte> block) => _hasher(block);

    /// <summary>
    /// Indexes block <paramref name="b"/> of the entry under <paramref name="hash"/>, the hash of its bytes.
    /// On entry the block is valid, clean or written whole, and not indexed. Leaves it unindexed when the hash already
    /// has <see cref="MaxBlocksPerHash"/> blocks.
    /// </summary>
    public void Add(CacheEntry entry, int b, ulong hash)
    {
        long block = entry.Window + b;
        if (_several.TryGetValue(hash, out var blocks))
        {
            if (blocks.Count == MaxBlocksPerHash)
            {
                return;
            }
            blocks.Add(block);
        }
        else if (_one.Remove(hash, out long other))
        {
            _several.Add(hash, new List<long>(MaxBlocksPerHash) { other, block });
        }
        else
        {
            _one.Add(hash, block);
        }
        entry.Hashes[b] = hash;
        entry.Indexed |= 1UL << b;
        Count++;
    }

    /// <summary>Takes the blocks of <paramref name="mask"/> that are indexed out of the index. On return none of them is.</summary>
    public void Remove(CacheEntry entry, ulong mask)
    {
        ulong indexed = entry.Indexed & mask;
        if (indexed == 0)
        {
            // The write path's usual case: a block dirty already.
            return;
        }
        entry.Indexed &= ~indexed;
        Count -= BitOperations.PopCount(indexed);
        while (indexed != 0)
        {
            int b = BitOperations.TrailingZeroCount(indexed);
            indexed &= indexed - 1;
            ulong hash = entry.Hashes[b];
            long block = entry.Window + b;
            if (_one.Remove(hash))
            {
                continue;
            }
            var blocks = _several[hash];
            blocks.Remove(block);
            if (blocks.Count == 1)
            {
                _several.Remove(hash);
                _one.Add(hash, blocks[0]);
            }
        }
    }

    /// <summary>
    /// Copies the blocks indexed under <paramref name="hash"/> (at most <see cref="MaxBlocksPerHash"/>)
    /// into <paramref name="blocks"/> and answers how many. Their bytes may still differ from the
    /// bytes hashed: a caller compares.
    /// </summary>
    public int Candidates(ulong hash, Span<long> blocks)
    {
        if (_one.TryGetValue(hash, out long block))
        {
            blocks[0] = block;
            return 1;
        }
        if (_several.TryGetValue(hash, out var list))
        {
            list.CopyTo(blocks);
            return list.Count;
        }
        return 0;
    }

    /// <summary>Every (hash, physical block) indexed, for the invariant check.</summary>
    public IEnumerable<(ulong Hash, long Block)> Entries()
    {
        foreach (var (hash, block) in _one)
        {
            yield return (hash, block);
        }
        foreach (var (hash, blocks) in _several)
        {
            foreach (long block in blocks)
            {
                yield return (hash, block);
            }
        }
    }
}
