using System.Numerics;
using Microsoft.Extensions.Logging;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Cache;

/// <summary>
/// The data cache, keyed by physical location: one buffer per aligned window of physical blocks,
/// shared by every file that maps it. Write-back with a dirty limit, bounded in size, and evicted by
/// a segmented LRU (new windows enter a probation segment and only a second use promotes them), so
/// a single scan of a large file cannot push out the working set.
/// Every call takes its own lock (<c>_gate</c>): engine calls come from several threads at once (the
/// data calls hold the volume lock only shared), loads land from readers outside every engine lock,
/// and the background writer (<see cref="WriteBackThread"/>) gathers dirty blocks under it and writes
/// them to the data file outside it, so writers overlap their copying with the disk's writing and
/// block only at the dirty limit. A call that holds a window across a wait of <c>_gate</c> pins it
/// (<see cref="CacheEntry.Pins"/>).
/// Invariants, under <c>_gate</c>: Dirty ⊆ Valid in every entry; <c>_dirty</c> holds exactly the
/// windows of the entries with Dirty ≠ 0; <c>_dirtyBlocks</c> is the sum of their dirty blocks; InFlight ≠ 0 only in
/// windows of <c>_inFlight</c>, such an entry is never dropped (the batch writes from its buffer), and
/// no block of those windows is written to the store by anyone but the background writer until its batch has landed (a later write of the same block must not be
/// overtaken by the stale copy); Loading ∩ Valid = ∅ in every entry, an entry with Loading ≠ 0 is
/// neither evicted nor dropped, and only its loader writes those blocks' bytes (everyone else who
/// needs them waits for the load to land, see ExtentCache.Loading.cs); <c>_loadingEntries</c> counts
/// the entries with Loading ≠ 0; an entry with Pins ≠ 0 is neither evicted nor dropped.
/// </summary>
internal sealed partial class ExtentCache : IDisposable
{
    public const int WindowBlocks = 16;
    /// <summary>The most one gathered read or write, and one background batch, moves.</summary>
    internal const int MaxGatherBytes = 8 << 20;

    private readonly BlockStore _store;
    private readonly ILogger _logger;
    private readonly int _blockSize;
    private readonly int _windowBytes;
    private readonly Dictionary<long, CacheEntry> _entries = new();
    private readonly WindowMemory _memory;
    private readonly LinkedList<CacheEntry> _probation = new();
    private readonly LinkedList<CacheEntry> _protected = new();
    /// <summary>The windows holding dirty blocks, in physical order for write-back.</summary>
    private readonly SortedSet<long> _dirty = new();
    private readonly object _gate = new();
    private readonly WriteBackThread? _writer;
    private readonly HashSet<long> _inFlight = new();
    private readonly long _backgroundStartBlocks;
    private readonly long _backgroundStopBlocks;
    /// <summary>The background writer goes through the dirty windows in physical order, as an elevator, from here.</summary>
    private long _writeBackCursor;
    private Exception? _writeBackError;
    private bool _writeBackStopped;
    private readonly long _maxEntries;
    private readonly long _maxProtected;
    private CacheEntry? _lastUsed;
    private long _dirtyBlocks;
    /// <summary>Whether the background writer has been woken for dirty data past the start mark and has not gone idle since: one wake per crossing.</summary>
    private bool _writerWoken;
    private long _hits;
    private long _misses;
    private long _writtenBack;

    /// <param name="background">Write dirty data from a thread of its own once a share of the dirty limit
    /// is reached; without it, the writer that reaches the limit writes back itself.</param>
    /// <param name="contentHash">The content index's hash of a block (XXH3 unless a test forces collisions).</param>
    /// <param name="contentIndex">Index clean blocks by content (copy recognition); off, nothing is hashed.</param>
    public ExtentCache(BlockStore store, long capacityBytes, long dirtyLimitBytes, ILogger logger, bool background, BlockHasher? contentHash = null, bool contentIndex = true)
    {
        _indexing = contentIndex;
        _store = store;
        _content = new ContentIndex(contentHash ?? ContentIndex.XxHash3);
        _logger = logger;
        _blockSize = store.BlockSize;
        _zeroBlockHash = _content.Hash(new byte[_blockSize]);
        _windowBytes = WindowBlocks * _blockSize;
        _memory = new WindowMemory(_windowBytes);
        _maxEntries = Math.Max(4, capacityBytes / _windowBytes);
        _maxProtected = _maxEntries * 4 / 5;
        CapacityBytes = _maxEntries * _windowBytes;
        DirtyLimitBytes = Math.Max(_windowBytes, Math.Min(dirtyLimitBytes, CapacityBytes / 2));
        long limitBlocks = DirtyLimitBytes / _blockSize;
        // Early enough that the disk is busy long before writers reach the limit, late enough that
        // blocks rewritten within a commit interval are mostly written once (by the commit).
        _backgroundStartBlocks = Math.Max(WindowBlocks, limitBlocks / 8);
        _backgroundStopBlocks = limitBlocks / 16;
        if (background)
        {
            _writer = new WriteBackThread(WriteBackBatch, logger);
        }
    }

    public long CapacityBytes { get; }
    public long DirtyLimitBytes { get; }
    public long DirtyBytes => Volatile.Read(ref _dirtyBlocks) * _blockSize;

    /// <summary>Reads bytes at a physical byte position through the cache on behalf of an owner.</summary>
    public void Read(long physicalByte, Span<byte> destination, long ino, long logicalBlock)
    {
        lock (_gate)
        {
            ReadLocked(physicalByte, destination, ino, logicalBlock);
        }
    }

    private void ReadLocked(long physicalByte, Span<byte> destination, long ino, long logicalBlock)
    {
        var windows = ReadMissingTogether(physicalByte, destination.Length);
        try
        {
            int index = 0;
            long firstBlock = physicalByte / _blockSize;
            foreach (var piece in new WindowPieces(physicalByte, destination.Length, _blockSize))
            {
                var entry = windows != null ? windows[index++] : Pin(GetOrAdd(piece.Window));
                try
                {
                    if (ino > 0)
                    {
                        entry.AddOwner(ino, logicalBlock + (piece.Window - firstBlock), RangeMask(piece.First, piece.Last));
                    }
                    BlocksBecameClean(entry, EnsureValid(entry, piece.First, piece.Last));
                    entry.Buffer.GetSpan().Slice(piece.InWindow, piece.Length).CopyTo(destination[piece.Done..]);
                }
                finally
                {
                    if (windows == null)
                    {
                        entry.Pins--;
                    }
                }
            }
        }
        finally
        {
            windows?.ForEach(e => e.Pins--);
        }
    }

    /// <summary>Under <c>_gate</c>: the caller holds the entry across waits (see <see cref="CacheEntry.Pins"/>) and unpins it after.</summary>
    private static CacheEntry Pin(CacheEntry entry)
    {
        entry.Pins++;
        return entry;
    }

    /// <summary>
    /// Reads the blocks a request spanning several windows lacks with as few store reads as possible
    /// (one scatter read per physically contiguous run), instead of one read per window. Returns the
    /// windows in order, each touched once and pinned (the caller unpins them), or null when the
    /// request is handled window by window.
    /// </summary>
    private List<CacheEntry>? ReadMissingTogether(long physicalByte, int length)
    {
        if (length == 0)
        {
            return null;
        }
        long first = physicalByte / _blockSize, last = (physicalByte + length - 1) / _blockSize;
        long firstWindow = first - first % WindowBlocks, lastWindow = last - last % WindowBlocks;
        long windows = (lastWindow - firstWindow) / WindowBlocks + 1;
        // Entries taken here are pinned until the read has copied them out; a request of at most a tenth
        // of the cache leaves others enough unpinned windows to evict.
        if (windows < 2 || windows > _maxEntries / 10)
        {
            return null;
        }
        var entries = new List<CacheEntry>((int)windows);
        var gather = new List<Memory<byte>>();
        var filled = new List<(CacheEntry Entry, ulong Mask)>();
        long runStart = -1, next = -1;

        void Submit()
        {
            if (gather.Count > 0)
            {
                _store.Read(runStart, gather);
                foreach (var (entry, mask) in filled)
                {
                    entry.Valid |= mask;
                    BlocksBecameClean(entry, mask);
                    // Counted as misses here; the copy-out that follows counts every block as a hit.
                    int n = BitOperations.PopCount(mask);
                    _misses += n;
                    _hits -= n;
                }
                gather.Clear();
                filled.Clear();
            }
        }

        try
        {
            for (long window = firstWindow; window <= lastWindow; window += WindowBlocks)
            {
                var entry = Pin(GetOrAdd(window));
                entries.Add(entry);
                int lo = (int)Math.Max(0, first - window), hi = (int)Math.Min(WindowBlocks - 1, last - window);
                WaitForLoad(entry, RangeMask(lo, hi));
                ulong missing = RangeMask(lo, hi) & ~entry.Valid;
                while (NextRun(ref missing, out int b, out int end))
                {
                    if (window + b != next)
                    {
                        Submit();
                        runStart = window + b;
                    }
                    gather.Add(entry.Buffer.Memory.Slice(b * _blockSize, (end - b + 1) * _blockSize));
                    filled.Add((entry, RangeMask(b, end)));
                    next = window + end + 1;
                }
            }
            Submit();
        }
        catch
        {
            entries.ForEach(e => e.Pins--);
            throw;
        }
        return entries;
    }

    /// <summary>
    /// Writes bytes at a physical byte position. With <paramref name="fresh"/>, the blocks touched hold
    /// nothing worth keeping (just allocated, or unwritten): they are zeroed rather than read, so a file
    /// never shows bytes it was never given. <paramref name="hashes"/>, when the writer has them, are the
    /// hashes of the whole blocks of <paramref name="source"/> from the first block boundary on: kept
    /// with the dirty blocks, they spare write-back hashing them again for the content index.
    /// </summary>
    public void Write(long physicalByte, ReadOnlySpan<byte> source, long ino, long logicalBlock, bool fresh, ReadOnlySpan<ulong> hashes = default)
    {
        lock (_gate)
        {
            WriteLocked(physicalByte, source, ino, logicalBlock, fresh, hashes);
            ThrottleLocked();
        }
    }

    private void WriteLocked(long physicalByte, ReadOnlySpan<byte> source, long ino, long logicalBlock, bool fresh, ReadOnlySpan<ulong> hashes)
    {
        long firstBlock = physicalByte / _blockSize;
        long firstWhole = (physicalByte + _blockSize - 1) / _blockSize;
        foreach (var piece in new WindowPieces(physicalByte, source.Length, _blockSize))
        {
            var entry = Pin(GetOrAdd(piece.Window));
            try
            {
                WriteWindow(entry, piece, source, ino, logicalBlock + (piece.Window - firstBlock), fresh);
                KeepHashes(entry, piece, hashes, firstWhole);
            }
            finally
            {
                entry.Pins--;
            }
        }
    }

    /// <summary>One window's part of <see cref="WriteLocked"/>; the entry is pinned, as the waits for loads let go of the lock.</summary>
    private void WriteWindow(CacheEntry entry, WindowPiece piece, ReadOnlySpan<byte> source, long ino, long logicalBase, bool fresh)
    {
        var (_, inWindow, n, done, first, last) = piece;
        // The loader writes these bytes outside every lock; the newer bytes go in after them.
        WaitForLoad(entry, RangeMask(first, last));
        if (ino > 0)
        {
            entry.AddOwner(ino, logicalBase, RangeMask(first, last));
        }
        var span = entry.Buffer.GetSpan();
        for (int b = first; b <= last; b++)
        {
            int bs = b * _blockSize, be = bs + _blockSize;
            bool whole = inWindow <= bs && inWindow + n >= be;
            if (whole || (entry.Valid & (1UL << b)) != 0)
            {
                continue;
            }
            if (fresh)
            {
                span.Slice(bs, _blockSize).Clear();
                entry.Valid |= 1UL << b;
            }
            else
            {
                // Written at once below, so not worth indexing.
                EnsureValid(entry, b, b);
            }
        }
        ulong mask = RangeMask(first, last);
        BlocksStoppedBeingClean(entry, mask);
        source.Slice(done, n).CopyTo(span.Slice(inWindow, n));
        entry.Valid |= mask;
        entry.Redirtied |= mask & entry.InFlight;
        ulong newlyDirty = mask & ~entry.Dirty;
        if (newlyDirty != 0)
        {
            // _dirty already holds a window with dirty blocks: a random rewrite of a dirty window
            // skips the sorted set's search.
            if (entry.Dirty == 0)
            {
                _dirty.Add(entry.Window);
            }
            entry.Dirty |= newlyDirty;
            _dirtyBlocks += BitOperations.PopCount(newlyDirty);
        }
    }

    /// <summary>
    /// After <see cref="WriteWindow"/>: the blocks it wrote whole whose hashes the writer gave
    /// (<paramref name="hashes"/>, by whole block of the write from <paramref name="firstWhole"/> on)
    /// keep them and enter the index at once, dirty: a copy of a file just written (a build's output)
    /// is recognized before write-back, and write-back need not hash them. The others it wrote lose theirs.
    /// </summary>
    private void KeepHashes(CacheEntry entry, WindowPiece piece, ReadOnlySpan<ulong> hashes, long firstWhole)
    {
        entry.HashKnown &= ~RangeMask(piece.First, piece.Last);
        if (hashes.IsEmpty || !_indexing)
        {
            return;
        }
        for (int b = piece.First; b <= piece.Last; b++)
        {
            int bs = b * _blockSize;
            long i = entry.Window + b - firstWhole;
            if (piece.InWindow <= bs && piece.InWindow + piece.Length >= bs + _blockSize && i >= 0 && i < hashes.Length)
            {
                entry.Hashes[b] = hashes[(int)i];
                entry.HashKnown |= 1UL << b;
                _content.Add(entry, b, hashes[(int)i]);
            }
        }
    }

    /// <summary>
    /// Past the background share of the dirty limit, wakes the writer; past the limit, waits for it
    /// (or, without one, writes back down to half the limit here).
    /// </summary>
    private void ThrottleLocked()
    {
        if (_writer == null || _writeBackStopped)
        {
            if (DirtyBytes > DirtyLimitBytes)
            {
                WriteBack(DirtyLimitBytes / 2);
            }
            return;
        }
        if (_dirtyBlocks >= _backgroundStartBlocks && !_writerWoken)
        {
            _writerWoken = true;
            _writer.Wake();
        }
        while (DirtyBytes > DirtyLimitBytes && !_writeBackStopped)
        {
            ThrowIfWriteBackFailed();
            _writer.Wake();
            Monitor.Wait(_gate, 100);
        }
    }

    private void ThrowIfWriteBackFailed()
    {
        if (_writeBackError != null)
        {
            throw new IOException($"background write-back to the data file failed: {_writeBackError.Message}", _writeBackError);
        }
    }

    /// <summary>Forgets blocks that no file maps any more, dirty or not: nothing may write them later.</summary>
    public void Discard(long block, long count)
    {
        lock (_gate)
        {
            ForEachWindow(block, count, DiscardLocked);
        }
    }

    private void DiscardLocked(CacheEntry entry, ulong mask)
    {
        entry.Redirtied |= mask & entry.InFlight;
        // A load in flight must not make the freed blocks' old bytes valid: a later fresh write of a
        // reused block zeroes only blocks that are not.
        entry.Superseded |= mask & entry.Loading;
        BlocksStoppedBeingClean(entry, mask);
        entry.HashKnown &= ~mask;
        ulong dropDirty = entry.Dirty & mask;
        _dirtyBlocks -= BitOperations.PopCount(dropDirty);
        entry.Dirty &= ~mask;
        entry.Valid &= ~mask;
        if (entry.Dirty == 0)
        {
            _dirty.Remove(entry.Window);
        }
        if (entry.Valid == 0 && entry.Loading == 0 && entry.InFlight == 0)
        {
            Drop(entry);
        }
    }

    /// <summary>
    /// The inode no longer maps these physical blocks at these logical blocks (copy-on-write moved it,
    /// or it was truncated or punched). Only that mapping loses them: the same blocks mapped elsewhere
    /// in the same file (a file cloned within itself) stay owned.
    /// </summary>
    public void RemoveOwner(long ino, long logicalBlock, long physicalBlock, long count)
    {
        lock (_gate)
        {
            ForEachWindow(physicalBlock, count, (entry, mask) => entry.RemoveOwner(ino, logicalBlock - (physicalBlock - entry.Window), mask));
        }
    }

    private void ForEachWindow(long block, long count, Action<CacheEntry, ulong> action)
    {
        long end = block + count;
        long window = block - block % WindowBlocks;
        if (count > (long)_entries.Count * WindowBlocks)
        {
            foreach (var entry in _entries.Values.Where(e => e.Window + WindowBlocks > block && e.Window < end).ToList())
            {
                action(entry, MaskFor(entry.Window, block, end));
            }
            return;
        }
        for (; window < end; window += WindowBlocks)
        {
            if (_entries.TryGetValue(window, out var entry))
            {
                action(entry, MaskFor(window, block, end));
            }
        }
    }

    private static ulong MaskFor(long window, long start, long end)
    {
        int first = (int)Math.Max(0, start - window);
        int last = (int)Math.Min(WindowBlocks - 1, end - 1 - window);
        return RangeMask(first, last);
    }

    /// <summary>Takes the lowest run of set bits out of <paramref name="mask"/>: blocks first..last.</summary>
    private static bool NextRun(ref ulong mask, out int first, out int last)
    {
        if (mask == 0)
        {
            first = last = 0;
            return false;
        }
        first = BitOperations.TrailingZeroCount(mask);
        ulong above = ~(mask >> first);
        int length = above == 0 ? 64 - first : BitOperations.TrailingZeroCount(above);
        last = first + length - 1;
        mask &= ~RangeMask(first, last);
        return true;
    }

    private static ulong RangeMask(int first, int last)
    {
        int count = last - first + 1;
        ulong m = count >= 64 ? ulong.MaxValue : (1UL << count) - 1;
        return m << first;
    }

    /// <summary>
    /// Writes every dirty block to the store (not yet durable: the caller flushes the store), after the
    /// background writer's batch, if one is in flight, has landed. Throws if background write-back
    /// failed: that data never reached the store, and the commit must not claim it did.
    /// </summary>
    public void FlushDirty()
    {
        lock (_gate)
        {
            WaitForInFlight();
            ThrowIfWriteBackFailed();
            WriteBack(0);
        }
    }

    /// <summary>Stops background write-back for good (the volume failed: nothing more is written to it).</summary>
    public void StopWriteBack()
    {
        lock (_gate)
        {
            _writeBackStopped = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void WaitForInFlight()
    {
        while (_inFlight.Count > 0)
        {
            Monitor.Wait(_gate);
        }
    }

    /// <summary>
    /// One background batch: takes dirty runs, in physical order from the cursor, under the lock, writes
    /// them from the windows themselves outside it, and marks clean what was not written again
    /// meanwhile. A block written again while its run is on the way may reach the disk torn between
    /// the two versions; it is marked Redirtied, stays dirty and is written again before any commit,
    /// and until then the disk may show any mix of versions of an in-place block anyway. Answers whether
    /// another batch is due now. Never throws: a store failure is kept and thrown to the next writer
    /// at the limit and to the next commit.
    /// </summary>
    private bool WriteBackBatch()
    {
        var batch = new WriteBatch(_blockSize);
        lock (_gate)
        {
            if (_writeBackStopped || _writeBackError != null || _dirtyBlocks <= _backgroundStopBlocks)
            {
                _writerWoken = false;
                return false;
            }
            GatherLocked(DirtyFromCursor(), MaxGatherBytes, batch, moveCursor: true);
        }
        var failure = WriteRuns(batch);
        lock (_gate)
        {
            LandLocked(batch, failure);
            if (failure != null)
            {
                _writeBackError = failure;
                _logger.LogError(failure, "Background write-back to the data file failed; the next commit reports it");
            }
            bool more = failure == null && !_writeBackStopped && _dirtyBlocks > _backgroundStopBlocks;
            _writerWoken = more;
            return more;
        }
    }

    /// <summary>
    /// A commit's share of the write-back: takes every block dirty now, in physical order, as one batch
    /// in flight for <see cref="WriteTaken"/> to write without the volume lock. Called under the volume
    /// lock when a commit is captured; waits for a background batch in flight first, so on return every
    /// dirty block is in this batch and only the batch's writer may write them until it lands. Throws
    /// a background write's failure kept since, taking nothing.
    /// </summary>
    public WriteBatch TakeDirty()
    {
        var batch = new WriteBatch(_blockSize);
        lock (_gate)
        {
            WaitForInFlight();
            ThrowIfWriteBackFailed();
            GatherLocked(_dirty.Select(w => _entries[w]).ToList(), long.MaxValue, batch, moveCursor: false);
        }
        return batch;
    }

    /// <summary>
    /// Writes a batch <see cref="TakeDirty"/> took and lands it: blocks not written again meanwhile are
    /// clean on return. Needs no volume lock. On a store failure nothing of the batch is marked clean
    /// and the failure is thrown (the commit fails and stops the volume).
    /// </summary>
    public void WriteTaken(WriteBatch batch)
    {
        var failure = WriteRuns(batch);
        lock (_gate)
        {
            LandLocked(batch, failure);
        }
        if (failure != null)
        {
            throw new IOException($"writing the commit's dirty blocks to the data file failed: {failure.Message}", failure);
        }
    }

    private Exception? WriteRuns(WriteBatch batch)
    {
        var hashing = _indexing && batch.HashesUnknown ? new BatchHashing(this, batch) : null;
        try
        {
            _store.WriteRuns(batch.Runs);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            hashing?.Finish();
        }
    }

    /// <summary>The batch has been written (or failed): marks clean what was not written again meanwhile, and lets its windows go.</summary>
    private void LandLocked(WriteBatch batch, Exception? failure)
    {
        for (int k = 0; k < batch.Entries.Count; k++)
        {
            var (entry, mask) = batch.Entries[k];
            ulong clean = failure == null ? entry.Dirty & mask & ~entry.Redirtied : 0;
            if (clean != 0)
            {
                entry.Dirty &= ~clean;
                if (batch.Hashes != null)
                {
                    BlocksBecameClean(entry, clean, batch.Hashes[k]);
                }
                else
                {
                    // Every block taken had its hash known, or nothing is indexed.
                    BlocksBecameClean(entry, clean);
                }
                _dirtyBlocks -= BitOperations.PopCount(clean);
                _writtenBack += (long)BitOperations.PopCount(clean) * _blockSize;
                if (entry.Dirty == 0)
                {
                    _dirty.Remove(entry.Window);
                }
            }
            entry.InFlight = 0;
            entry.Redirtied = 0;
            _inFlight.Remove(entry.Window);
            if (entry.Valid == 0 && entry.Loading == 0)
            {
                // Discarded while its run was on the way: its buffer could not go back to the pool until now.
                Drop(entry);
            }
        }
        Monitor.PulseAll(_gate);
    }

    /// <summary>
    /// Takes dirty runs of <paramref name="entries"/> (up to <paramref name="maxBytes"/>; windows another
    /// batch has in flight are skipped), physically contiguous ones joined into one gathered write, and
    /// marks their windows in flight: until the batch has landed, nothing else writes those blocks to
    /// the store and no window's buffer goes back to the pool.
    /// </summary>
    private void GatherLocked(IEnumerable<CacheEntry> entries, long maxBytes, WriteBatch batch, bool moveCursor)
    {
        long used = 0;
        foreach (var entry in entries)
        {
            if (entry.InFlight != 0)
            {
                continue;
            }
            ulong written = WriteMask(entry);
            int bytes = BitOperations.PopCount(written) * _blockSize;
            if (used + bytes > maxBytes)
            {
                break;
            }
            AddRuns(batch, entry, written);
            used += bytes;
            entry.InFlight = written;
            entry.Redirtied = 0;
            _inFlight.Add(entry.Window);
            batch.Entries.Add((entry, written));
            batch.AddKnownHashes(entry.HashKnown & written, written);
            if (moveCursor)
            {
                _writeBackCursor = entry.Window + WindowBlocks;
            }
        }
    }

    /// <summary>
    /// The dirty windows at or past the cursor, then those before it, walked lazily (a batch stops at
    /// the staging buffer's size, far short of the whole dirty set). The caller holds <c>_gate</c>
    /// throughout and changes no membership of <c>_dirty</c> while walking; the cursor it moves is read once, here.
    /// </summary>
    private IEnumerable<CacheEntry> DirtyFromCursor()
    {
        if (_dirty.Count == 0)
        {
            yield break;
        }
        if (_writeBackCursor > _dirty.Max)
        {
            _writeBackCursor = 0;
        }
        long cursor = _writeBackCursor;
        foreach (long window in _dirty.GetViewBetween(cursor, _dirty.Max))
        {
            yield return _entries[window];
        }
        foreach (long window in _dirty)
        {
            if (window >= cursor)
            {
                yield break;
            }
            yield return _entries[window];
        }
    }

    /// <summary>Writes dirty windows back, in physical order, until at most <paramref name="target"/> dirty bytes remain.</summary>
    private void WriteBack(long target)
    {
        WaitForInFlight();
        if (_dirty.Count == 0)
        {
            return;
        }
        // Every write goes to the store at once at the end: the entries stay as they are meanwhile,
        // as the caller holds _gate throughout.
        var batch = new WriteBatch(_blockSize);
        foreach (var entry in _dirty.Select(w => _entries[w]).ToList())
        {
            if (target > 0 && DirtyBytes <= target)
            {
                break;
            }
            AddRuns(batch, entry, WriteMask(entry));
            ulong cleaned = entry.Dirty;
            MarkWrittenLocked(entry);
            BlocksBecameClean(entry, cleaned);
        }
        _store.WriteRuns(batch.Runs);
    }

    /// <summary>Adds the runs of <paramref name="mask"/> in <paramref name="entry"/>'s window to the batch, from the window's own buffer.</summary>
    private void AddRuns(WriteBatch batch, CacheEntry entry, ulong mask)
    {
        var memory = entry.Buffer.Memory;
        while (NextRun(ref mask, out int b, out int end))
        {
            batch.Add(entry.Window + b, memory.Slice(b * _blockSize, (end - b + 1) * _blockSize));
        }
    }

    /// <summary>The window's dirty blocks are (about to be) written by the caller, under <c>_gate</c> throughout: it is clean.</summary>
    private void MarkWrittenLocked(CacheEntry entry)
    {
        _writtenBack += (long)BitOperations.PopCount(entry.Dirty) * _blockSize;
        _dirtyBlocks -= BitOperations.PopCount(entry.Dirty);
        entry.Dirty = 0;
        _dirty.Remove(entry.Window);
    }

    public CacheStatistics Statistics()
    {
        lock (_gate)
        {
            return StatisticsLocked();
        }
    }

    private CacheStatistics StatisticsLocked()
    {
        long cached = 0, saved = 0;
        int maxOwners = 0;
        foreach (var e in _entries.Values)
        {
            cached += (long)BitOperations.PopCount(e.Valid) * _blockSize;
            if (e.Owners.Count > 1)
            {
                saved += (long)e.ExtraCopies(e.Valid) * _blockSize;
            }
            maxOwners = Math.Max(maxOwners, e.Owners.Count);
        }
        return new CacheStatistics(cached, saved, DirtyBytes, CapacityBytes, DirtyLimitBytes, _hits, _misses, _entries.Count, maxOwners, _writtenBack)
        {
            IndexedBlocks = _content.Count,
            IndexBytes = ContentIndexBytes(),
        };
    }

    /// <summary>The owners of the window holding a physical block, for tests and diagnostics.</summary>
    public IReadOnlyList<CacheOwner> OwnersOf(long block)
    {
        lock (_gate)
        {
            return OwnersOfLocked(block);
        }
    }

    private IReadOnlyList<CacheOwner> OwnersOfLocked(long block)
    {
        return _entries.TryGetValue(block - block % WindowBlocks, out var e) ? e.Owners.Select(o => o.Owner).ToList() : Array.Empty<CacheOwner>();
    }

    /// <summary>
    /// The window's entry, added (evicting another) when missing. Eviction may wait, letting go of the
    /// lock, so the window is looked up again after it: another thread may have added it meanwhile.
    /// </summary>
    private CacheEntry GetOrAdd(long window)
    {
        CacheEntry? entry;
        while (!_entries.TryGetValue(window, out entry) && _entries.Count >= _maxEntries)
        {
            EvictOne();
        }
        if (entry != null)
        {
            if (entry.UsePending)
            {
                // Loaded and not read since: this read is its first use, so it stays on probation.
                entry.UsePending = false;
                _probation.Remove(entry.Node!);
                _probation.AddFirst(entry.Node!);
            }
            // A reader going through one window in small pieces uses it once, not sixteen times:
            // only a return to the window after touching another one is a second use.
            else if (entry != _lastUsed)
            {
                Touch(entry);
            }
        }
        else
        {
            entry = AddEntry(window);
        }
        _lastUsed = entry;
        return entry;
    }

    private CacheEntry AddEntry(long window)
    {
        var entry = new CacheEntry(window, _memory.Rent());
        _entries.Add(window, entry);
        entry.Node = _probation.AddFirst(entry);
        return entry;
    }

    private void Touch(CacheEntry entry)
    {
        if (entry.Protected)
        {
            _protected.Remove(entry.Node!);
            _protected.AddFirst(entry.Node!);
            return;
        }
        _probation.Remove(entry.Node!);
        entry.Protected = true;
        _protected.AddFirst(entry.Node!);
        if (_protected.Count > _maxProtected)
        {
            var demoted = _protected.Last!;
            _protected.RemoveLast();
            demoted.Value.Protected = false;
            _probation.AddFirst(demoted);
        }
    }

    /// <summary>
    /// Drops a window that nothing pins: the least recently used clean one among the last
    /// <see cref="CleanVictimSearch"/> of each segment, so that evicting needs no disk write under the
    /// cache's lock (dirty windows go to disk through the background writer and the commit, as Linux's
    /// reclaim leaves dirty pages to its flushers); else the least recently used one, written back
    /// first. When it must wait (every window pinned, or the victim's batch in flight), it waits and
    /// returns without dropping: the wait let go of the lock, so the caller looks again (the room it
    /// wanted may have been made or taken). What pins windows meanwhile are loads, which land without
    /// any lock, and calls holding a few windows across such waits; a read's reservations are capped
    /// (<c>MaxPinnedPerLoad</c>) well below the cache's size.
    /// </summary>
    private void EvictOne()
    {
        var victim = LeastRecentClean(_probation) ?? LeastRecentClean(_protected)
            ?? LeastRecentUnpinned(_probation) ?? LeastRecentUnpinned(_protected);
        if (victim == null)
        {
            Monitor.Wait(_gate);
            return;
        }
        if (_inFlight.Contains(victim.Window))
        {
            WaitForInFlight();
            return;
        }
        if (victim.Dirty != 0)
        {
            WriteBackEntry(victim);
        }
        Drop(victim);
    }

    private void WriteBackEntry(CacheEntry entry)
    {
        var batch = new WriteBatch(_blockSize);
        AddRuns(batch, entry, WriteMask(entry));
        _store.WriteRuns(batch.Runs);
        MarkWrittenLocked(entry);
    }

    /// <summary>How far from the least recently used end eviction looks for a clean window: bounded, so a cache full of dirty windows costs no long walk.</summary>
    private const int CleanVictimSearch = 64;

    private CacheEntry? LeastRecentClean(LinkedList<CacheEntry> segment)
    {
        int looked = 0;
        for (var node = segment.Last; node != null && looked < CleanVictimSearch; node = node.Previous, looked++)
        {
            var e = node.Value;
            if (e.Loading == 0 && e.Pins == 0 && e.Dirty == 0 && !_inFlight.Contains(e.Window))
            {
                return e;
            }
        }
        return null;
    }

    private static CacheEntry? LeastRecentUnpinned(LinkedList<CacheEntry> segment)
    {
        for (var node = segment.Last; node != null; node = node.Previous)
        {
            if (node.Value.Loading == 0 && node.Value.Pins == 0)
            {
                return node.Value;
            }
        }
        return null;
    }

    /// <summary>
    /// On entry the entry is neither loading (Loading = 0) nor in flight (InFlight = 0): its buffer goes
    /// back to the pool. An entry already dropped (by the batch that landed while an evicter waited for
    /// it) is left alone: its buffer must not go back twice. So is an entry a call pins
    /// (<see cref="CacheEntry.Pins"/>): it stays, empty if it was discarded, until evicted later.
    /// </summary>
    private void Drop(CacheEntry entry)
    {
        System.Diagnostics.Debug.Assert(entry.Loading == 0 && entry.InFlight == 0, "a loading or in-flight window is never dropped");
        if (entry.Pins != 0)
        {
            return;
        }
        if (!_entries.TryGetValue(entry.Window, out var current) || current != entry)
        {
            return;
        }
        if (entry.Node != null)
        {
            (entry.Protected ? _protected : _probation).Remove(entry.Node);
            entry.Node = null;
        }
        BlocksStoppedBeingClean(entry, entry.Indexed);
        _entries.Remove(entry.Window);
        _dirty.Remove(entry.Window);
        if (_lastUsed == entry)
        {
            _lastUsed = null;
        }
        ((IDisposable)entry.Buffer).Dispose();
    }

    /// <summary>Reads the blocks first..last the entry lacks from the store; answers which those were (clean, now valid).</summary>
    private ulong EnsureValid(CacheEntry entry, int first, int last)
    {
        ulong want = RangeMask(first, last);
        WaitForLoad(entry, want);
        ulong missing = want & ~entry.Valid;
        if (missing == 0)
        {
            _hits += last - first + 1;
            return 0;
        }
        _misses += BitOperations.PopCount(missing);
        _hits += last - first + 1 - BitOperations.PopCount(missing);
        var span = entry.Buffer.GetSpan();
        ulong runs = missing;
        while (NextRun(ref runs, out int b, out int end))
        {
            _store.Read(entry.Window + b, span.Slice(b * _blockSize, (end - b + 1) * _blockSize));
        }
        entry.Valid |= missing;
        return missing;
    }

    /// <summary>Drops everything; dirty data must have been flushed (or deliberately lost, in crash tests).</summary>
    public void Dispose()
    {
        // Outside the lock: the writer takes it to finish its batch.
        _writer?.Dispose();
        lock (_gate)
        {
            DisposeLocked();
        }
    }

    private void DisposeLocked()
    {
        // Loaders write into the windows' buffers outside every lock; the buffers outlive their loads.
        while (_loadingEntries > 0)
        {
            Monitor.Wait(_gate);
        }
        if (_dirtyBlocks > 0)
        {
            _logger.LogDebug("Extent cache closed with {Bytes} dirty bytes discarded", DirtyBytes);
        }
        foreach (var e in _entries.Values.ToList())
        {
            Drop(e);
        }
        _memory.Dispose();
    }
}
