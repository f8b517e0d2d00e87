using System.Numerics;
using System.Runtime.CompilerServices;

namespace WinReflink.Core.Cache;

/// <summary>
/// The cache's side of the <see cref="ContentIndex"/>: the two hooks its paths call under <c>_gate</c>
/// (blocks became clean and valid; blocks stopped being so), the hashing of a batch's and a load's
/// blocks outside <c>_gate</c> while their bytes cannot change, the lookup a write repeating cached
/// data will use, and the invariant check.
/// </summary>
internal sealed partial class ExtentCache
{
    private readonly ContentIndex _content;
    /// <summary>Whether clean blocks are indexed at all: off with copy recognition, so nothing is hashed.</summary>
    private readonly bool _indexing;
    /// <summary>The hash of a block of zeros, so <see cref="FindRuns"/> tells zeros apart before comparing.</summary>
    private readonly ulong _zeroBlockHash;

    /// <summary>
    /// Under <c>_gate</c>: blocks of <paramref name="mask"/> in the entry became clean and valid (a load
    /// landed, a read filled them, a write-back marked them clean); indexes those not indexed yet.
    /// <paramref name="hashes"/>, by block in the window, are their hashes computed outside the gate
    /// while their bytes could not change; empty, they are hashed here. On entry mask ⊆ Valid \ Dirty.
    /// </summary>
    private void BlocksBecameClean(CacheEntry entry, ulong mask, ReadOnlySpan<ulong> hashes = default)
    {
        System.Diagnostics.Debug.Assert((mask & ~(entry.Valid & ~entry.Dirty)) == 0, "only clean valid blocks are indexed");
        ulong known = entry.HashKnown & mask;
        entry.HashKnown &= ~mask;
        ulong blocks = mask & ~entry.Indexed;
        if (blocks == 0 || !_indexing)
        {
            return;
        }
        var bytes = entry.Buffer.GetSpan();
        while (blocks != 0)
        {
            int b = BitOperations.TrailingZeroCount(blocks);
            blocks &= blocks - 1;
            ulong hash = (known & (1UL << b)) != 0 ? entry.Hashes[b]
                : hashes.IsEmpty ? _content.Hash(bytes.Slice(b * _blockSize, _blockSize))
                : hashes[b];
            _content.Add(entry, b, hash);
        }
    }

    /// <summary>
    /// Under <c>_gate</c>, before their bytes change or they go: blocks of <paramref name="mask"/> in the
    /// entry stop being clean and valid (written, discarded, or their window dropped). On return none is indexed.
    /// </summary>
    private void BlocksStoppedBeingClean(CacheEntry entry, ulong mask) => _content.Remove(entry, mask);

    /// <summary>
    /// Hashes a batch's blocks on a pool thread while the store writes them (both only read the
    /// windows): hashed after the write, they held each batch up by the hashing's length, and write-back
    /// over a modelled 1.5 GB/s disk ran at 0.73-0.83x of its speed without the index instead of
    /// 0.94-0.97x (tools/bench/content-index). When no pool thread has taken the hashing up by the time
    /// the write is done, the writer hashes itself, so a busy pool never delays a batch more than that.
    /// </summary>
    private sealed class BatchHashing
    {
        private readonly ExtentCache _cache;
        private readonly WriteBatch _batch;
        private readonly Task _pooled;
        private int _claimed;

        public BatchHashing(ExtentCache cache, WriteBatch batch)
        {
            _cache = cache;
            _batch = batch;
            _pooled = Task.Run(() =>
            {
                if (Interlocked.Exchange(ref _claimed, 1) == 0)
                {
                    _cache.HashWritten(_batch);
                }
            });
        }

        /// <summary>After the write, before the batch lands: on return its hashes are taken and nothing reads its windows for them any more.</summary>
        public void Finish()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0)
            {
                _cache.HashWritten(_batch);
                return;
            }
            _pooled.Wait();
        }
    }

    /// <summary>
    /// Outside <c>_gate</c>, while or after the batch is written: the hash of every block it writes, from
    /// the windows themselves (in flight, so not dropped). A block written or discarded meanwhile may hash
    /// torn bytes, but it is Redirtied by then (under the gate, with its new bytes), so
    /// <see cref="LandLocked"/> does not mark it clean and its hash is never used; the other blocks'
    /// bytes have not changed since the batch took them. A failed write's hashes are never used.
    /// </summary>
    private void HashWritten(WriteBatch batch)
    {
        var hashes = new WindowHashes[batch.Entries.Count];
        for (int k = 0; k < hashes.Length; k++)
        {
            var (entry, mask) = batch.Entries[k];
            HashBlocks(entry, mask & ~batch.Known[k], hashes[k]);
        }
        batch.Hashes = hashes;
    }

    /// <summary>Hashes the blocks of <paramref name="mask"/> in the entry's buffer into <paramref name="hashes"/>, by block in the window.</summary>
    private void HashBlocks(CacheEntry entry, ulong mask, Span<ulong> hashes)
    {
        var bytes = entry.Buffer.GetSpan();
        while (mask != 0)
        {
            int b = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            hashes[b] = _content.Hash(bytes.Slice(b * _blockSize, _blockSize));
        }
    }

    /// <summary>The hash of each whole block of <paramref name="blocks"/>, by block; needs no lock.</summary>
    public void HashBlocks(ReadOnlySpan<byte> blocks, Span<ulong> hashes)
    {
        for (int i = 0; i < hashes.Length; i++)
        {
            hashes[i] = _content.Hash(blocks.Slice(i * _blockSize, _blockSize));
        }
    }

    /// <summary>
    /// Runs of <paramref name="blocks"/> (whole blocks, with their <paramref name="hashes"/>) whose bytes
    /// cached blocks repeat, in input order and disjoint; null when there are none, so a write that
    /// finds nothing allocates nothing. For each input block not in a run yet, the indexed candidate
    /// whose physically following blocks match the following input blocks longest. Blocks whose bytes are all zero are never matched
    /// (docs/decisions.md: a write of zeros reserves space). One hold of <c>_gate</c> for the whole
    /// input; every byte compared. The answer holds while nothing writes or discards those blocks: a
    /// caller that shares them must see to that and compare again (<see cref="EqualRunNow"/>).
    /// </summary>
    public List<BlockMatch>? FindRuns(ReadOnlySpan<byte> blocks, ReadOnlySpan<ulong> hashes)
    {
        Span<long> candidates = stackalloc long[ContentIndex.MaxBlocksPerHash];
        List<BlockMatch>? found = null;
        lock (_gate)
        {
            if (_content.Count == 0)
            {
                return null;
            }
            for (int i = 0; i < hashes.Length;)
            {
                var input = blocks[(i * _blockSize)..];
                int n = hashes[i] == _zeroBlockHash && !input[.._blockSize].ContainsAnyExcept((byte)0) ? 0 : _content.Candidates(hashes[i], candidates);
                (long Block, int Count) best = (-1, 0);
                for (int c = 0; c < n && best.Count < hashes.Length - i; c++)
                {
                    int run = EqualRun(candidates[c], input);
                    if (run > best.Count)
                    {
                        best = (candidates[c], run);
                    }
                }
                if (best.Count == 0)
                {
                    i++;
                    continue;
                }
                (found ??= new List<BlockMatch>()).Add(new BlockMatch(i, best.Block, best.Count));
                i += best.Count;
            }
        }
        return found;
    }

    /// <summary>How many blocks from <paramref name="physical"/> on are still cached and equal to <paramref name="blocks"/> in turn: <see cref="FindRuns"/>'s answer checked again once the caller holds what keeps it true.</summary>
    public int EqualRunNow(long physical, ReadOnlySpan<byte> blocks)
    {
        lock (_gate)
        {
            return EqualRun(physical, blocks);
        }
    }

    /// <summary>
    /// The files the cache knows to map <paramref name="block"/> (from its window's owners), as (inode,
    /// logical block), appended to <paramref name="owners"/>. A hint only: a file that mapped the block
    /// without reading or writing it through the cache is missing, and one listed may have moved on.
    /// </summary>
    public void OwnersOfBlock(long block, List<CacheOwner> owners)
    {
        long window = block - block % WindowBlocks;
        ulong bit = 1UL << (int)(block - window);
        lock (_gate)
        {
            if (!_entries.TryGetValue(window, out var entry))
            {
                return;
            }
            foreach (var o in entry.Owners)
            {
                if ((o.Blocks & bit) != 0)
                {
                    owners.Add(new CacheOwner(o.Ino, o.Owner.LogicalBase + (block - window)));
                }
            }
        }
    }

    /// <summary>A physical block whose cached bytes equal <paramref name="block"/> (one whole block) byte for byte, or -1.</summary>
    public long FindEqual(ReadOnlySpan<byte> block) => FindRun(block[.._blockSize]).Block;

    /// <summary>
    /// For tests and the content-index bench, <see cref="FindRuns"/>'s run at the first block: the
    /// physical block whose cached bytes equal the first input block (whole blocks), chosen for the
    /// longest run, and how many blocks that run covers; (-1, 0) when nothing equals the first block.
    /// </summary>
    public (long Block, int Count) FindRun(ReadOnlySpan<byte> blocks)
    {
        if (blocks.Length < _blockSize || blocks.Length % _blockSize != 0)
        {
            throw new ArgumentException($"whole blocks of {_blockSize} bytes", nameof(blocks));
        }
        var hashes = new ulong[blocks.Length / _blockSize];
        HashBlocks(blocks, hashes);
        return FindRuns(blocks, hashes) is [{ Index: 0 } first, ..] ? (first.Physical, first.Count) : (-1, 0);
    }

    /// <summary>Under <c>_gate</c>: how many blocks from <paramref name="start"/> on are cached, valid and equal the input's blocks in turn.</summary>
    private int EqualRun(long start, ReadOnlySpan<byte> blocks)
    {
        int count = 0;
        for (long block = start; count * _blockSize < blocks.Length; block++, count++)
        {
            long window = block - block % WindowBlocks;
            if (!_entries.TryGetValue(window, out var entry))
            {
                break;
            }
            int b = (int)(block - window);
            ulong bit = 1UL << b;
            if ((entry.Valid & bit) == 0
                || !entry.Buffer.GetSpan().Slice(b * _blockSize, _blockSize).SequenceEqual(blocks.Slice(count * _blockSize, _blockSize)))
            {
                break;
            }
        }
        return count;
    }

    /// <summary>The index's memory: its map, and the hashes and mask every cached window carries.</summary>
    private long ContentIndexBytes() => _content.MemoryBytes + (long)_entries.Count * (Unsafe.SizeOf<WindowHashes>() + sizeof(ulong));

    /// <summary>
    /// For tests: checks the index's invariants (ContentIndex.cs) against every cached window, hashing
    /// every indexed block again. Throws InvalidOperationException naming the first one broken.
    /// </summary>
    internal void CheckContentIndex()
    {
        lock (_gate)
        {
            int indexed = 0;
            foreach (var entry in _entries.Values)
            {
                if ((entry.Indexed & ~entry.Valid) != 0 || (entry.Indexed & entry.Dirty & ~entry.HashKnown) != 0)
                {
                    throw new InvalidOperationException($"content index: window {entry.Window} indexes blocks that are not valid, or dirty without a hash their write gave (indexed {entry.Indexed:x}, valid {entry.Valid:x}, dirty {entry.Dirty:x}, known {entry.HashKnown:x})");
                }
                if ((entry.HashKnown & ~entry.Dirty) != 0)
                {
                    throw new InvalidOperationException($"content index: window {entry.Window} keeps hashes of blocks that are not dirty (known {entry.HashKnown:x}, dirty {entry.Dirty:x})");
                }
                WindowHashes now = default;
                HashBlocks(entry, entry.Indexed | entry.HashKnown, now);
                for (ulong mask = entry.Indexed | entry.HashKnown; mask != 0; mask &= mask - 1)
                {
                    int b = BitOperations.TrailingZeroCount(mask);
                    if (now[b] != entry.Hashes[b])
                    {
                        throw new InvalidOperationException($"content index: block {entry.Window + b} is indexed, or kept with a hash for write-back, under a hash its bytes no longer have");
                    }
                }
                indexed += BitOperations.PopCount(entry.Indexed);
            }
            var seen = new HashSet<long>();
            var perHash = new Dictionary<ulong, int>();
            foreach (var (hash, block) in _content.Entries())
            {
                long window = block - block % WindowBlocks;
                int b = (int)(block - window);
                if (!_entries.TryGetValue(window, out var entry) || (entry.Indexed & (1UL << b)) == 0 || entry.Hashes[b] != hash)
                {
                    throw new InvalidOperationException($"content index: holds block {block}, which is not indexed in a cached window under that hash");
                }
                if (!seen.Add(block))
                {
                    throw new InvalidOperationException($"content index: holds block {block} twice");
                }
                if ((perHash[hash] = perHash.GetValueOrDefault(hash) + 1) > ContentIndex.MaxBlocksPerHash)
                {
                    throw new InvalidOperationException($"content index: more than {ContentIndex.MaxBlocksPerHash} blocks under one hash");
                }
            }
            if (seen.Count != indexed || _content.Count != indexed)
            {
                throw new InvalidOperationException($"content index: {seen.Count} blocks in the map, {_content.Count} counted, {indexed} indexed in the windows");
            }
        }
    }
}
