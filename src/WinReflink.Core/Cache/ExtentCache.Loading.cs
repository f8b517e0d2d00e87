using System.Numerics;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Cache;

/// <summary>
/// Reads that miss load their blocks outside the volume lock, in three steps: under the volume lock
/// <see cref="TryRead"/> (and <see cref="ReserveAhead"/>) mark the missing blocks Loading, which pins
/// their windows, and note in a <see cref="ReadLoad"/> which blocks another read is loading already;
/// without the volume lock <see cref="Load"/> reads the reserved blocks into the windows' buffers
/// (physically contiguous blocks in one read), makes them valid and waits for the other reads' blocks;
/// then the reader takes the volume lock again and reads once more, now from the cache.
/// Who may touch a Loading block: only its loader writes its bytes; writers and the synchronous read
/// path wait for it to land (<see cref="WaitForLoad"/>); Discard marks it Superseded, so the loaded
/// bytes of a block freed meanwhile never become valid; eviction and Dispose skip or wait for it.
/// Nothing but a load's completion clears Loading, and every load completes (Load or Abandon).
/// </summary>
internal sealed partial class ExtentCache
{
    /// <summary>The most buffers one coalesced store read of a load takes (it also stops at 8 MiB).</summary>
    private const int MaxLoadPieces = 256;
    private const long MaxReadaheadBytes = 4L << 20;

    private int _loadingEntries;

    /// <summary>Windows one read may pin: a tenth of the cache, so the others' loads and the working set keep room.</summary>
    private int MaxPinnedPerLoad => (int)Math.Max(1, _maxEntries / 10);

    /// <summary>The most a file's readahead window grows to: 4 MiB, and at most a sixteenth of the cache.</summary>
    public long ReadaheadLimitBytes => Math.Max(_blockSize, Math.Min(MaxReadaheadBytes, CapacityBytes / 16));

    /// <summary>
    /// Under the volume lock: copies bytes at a physical byte position to <paramref name="destination"/>
    /// when every block they lie in is cached and <paramref name="load"/> is still empty. Otherwise
    /// reserves the missing blocks in <paramref name="load"/> (up to the pin cap: the rest is left for
    /// the read's next pass) and leaves <paramref name="destination"/> undefined. Reads nothing from the store.
    /// </summary>
    public void TryRead(long physicalByte, Span<byte> destination, long ino, long logicalBlock, ReadLoad load)
    {
        lock (_gate)
        {
            long firstBlock = physicalByte / _blockSize;
            foreach (var piece in new WindowPieces(physicalByte, destination.Length, _blockSize))
            {
                var entry = GetOrAdd(piece.Window);
                ulong want = RangeMask(piece.First, piece.Last);
                if (ino > 0)
                {
                    entry.AddOwner(ino, logicalBlock + (piece.Window - firstBlock), want);
                }
                ulong missing = want & ~entry.Valid;
                if (missing != 0)
                {
                    if (!Reserve(entry, missing, load, ahead: false))
                    {
                        return;
                    }
                    // The pass that copies these blocks out completes this use; it is not a second one.
                    entry.UsePending = !entry.Protected;
                }
                else if (load.IsEmpty)
                {
                    entry.Buffer.GetSpan().Slice(piece.InWindow, piece.Length).CopyTo(destination[piece.Done..]);
                    _hits += piece.Last - piece.First + 1;
                }
            }
        }
    }

    /// <summary>
    /// Under the volume lock: reserves the blocks of [physicalBlock, +count) the cache lacks, as
    /// readahead, in <paramref name="load"/>. Makes room only by dropping a clean window nobody is
    /// loading or has yet to read (never dirty data, never unread readahead). False when it stopped
    /// short: the cache declined, or the load holds its share of pins.
    /// </summary>
    public bool ReserveAhead(long physicalBlock, long count, ReadLoad load)
    {
        lock (_gate)
        {
            long end = physicalBlock + count;
            for (long block = physicalBlock; block < end;)
            {
                long window = block - block % WindowBlocks;
                if (load.PinnedWindows >= MaxPinnedPerLoad)
                {
                    return false;
                }
                if (!_entries.TryGetValue(window, out var entry))
                {
                    if (!MakeRoomForReadahead())
                    {
                        return false;
                    }
                    entry = AddEntry(window);
                    entry.UsePending = true;
                }
                ulong missing = MaskFor(window, block, end) & ~entry.Valid & ~entry.Loading;
                if (missing != 0 && !Reserve(entry, missing, load, ahead: true))
                {
                    return false;
                }
                block = window + WindowBlocks;
            }
            return true;
        }
    }

    private bool MakeRoomForReadahead()
    {
        if (_entries.Count < _maxEntries)
        {
            return true;
        }
        var victim = _probation.Last?.Value;
        if (victim == null || victim.Dirty != 0 || victim.Loading != 0 || victim.Pins != 0 || victim.UsePending || _inFlight.Contains(victim.Window))
        {
            return false;
        }
        Drop(victim);
        return true;
    }

    /// <summary>
    /// Under <c>_gate</c>: takes the <paramref name="missing"/> blocks of an entry into the load, those
    /// another load has as blocks to wait for. False, reserving nothing, when it would pin one window
    /// more than a load may.
    /// </summary>
    private bool Reserve(CacheEntry entry, ulong missing, ReadLoad load, bool ahead)
    {
        ulong mine = missing & ~entry.Loading;
        if (mine != 0 && entry.Loading == 0 && load.PinnedWindows >= MaxPinnedPerLoad)
        {
            return false;
        }
        ulong others = missing & entry.Loading;
        if (others != 0)
        {
            load.AddOther(entry, others);
        }
        if (mine != 0)
        {
            if (entry.Loading == 0)
            {
                _loadingEntries++;
                load.PinnedWindows++;
            }
            entry.Loading |= mine;
            load.AddOwn(entry, mine, ahead);
        }
        return true;
    }

    /// <summary>
    /// Without the volume lock: reads the load's own blocks from the store, coalescing physically
    /// contiguous blocks into one read, completes them (valid unless superseded or failed), then
    /// waits until the blocks other reads are loading have landed. On return no block of the load is
    /// Loading on its behalf. Throws BlockReadException when a read of blocks the caller asked for
    /// failed (they stay uncached); a failed read that included readahead is not reported, as the
    /// reader's next pass asks for its own blocks alone.
    /// </summary>
    public void Load(ReadLoad load)
    {
        var pieces = Pieces(load);
        var landed = new bool[pieces.Count];
        var hashes = new WindowHashes[pieces.Count];
        BlockReadException? failure = null;
        try
        {
            var gather = new List<Memory<byte>>();
            for (int i = 0; i < pieces.Count;)
            {
                int j = i;
                long next = pieces[i].Block;
                long bytes = 0;
                bool ahead = false;
                gather.Clear();
                while (j < pieces.Count && pieces[j].Block == next && gather.Count < MaxLoadPieces && bytes < MaxGatherBytes)
                {
                    var p = pieces[j];
                    gather.Add(p.Entry.Buffer.Memory.Slice(p.First * _blockSize, p.Count * _blockSize));
                    next += p.Count;
                    bytes += (long)p.Count * _blockSize;
                    ahead |= p.Ahead;
                    j++;
                }
                try
                {
                    _store.Read(pieces[i].Block, gather);
                    // Hashed here, outside the gate, while only this loader may touch the blocks' bytes.
                    for (int k = i; k < j && _indexing; k++)
                    {
                        HashBlocks(pieces[k].Entry, pieces[k].Mask, hashes[k]);
                    }
                    Array.Fill(landed, true, i, j - i);
                }
                catch (BlockReadException e) when (!ahead)
                {
                    failure ??= e;
                }
                catch (BlockReadException)
                {
                    // Readahead read with the asked-for blocks: the next pass reads those alone.
                }
                i = j;
            }
        }
        finally
        {
            Complete(pieces, landed, hashes);
        }
        lock (_gate)
        {
            foreach (var (entry, mask) in load.Others)
            {
                WaitForLoad(entry, mask);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /// <summary>Completes a load whose reader will not read it (it failed before it could): nothing becomes valid.</summary>
    public void Abandon(ReadLoad load)
    {
        var pieces = Pieces(load);
        Complete(pieces, new bool[pieces.Count], new WindowHashes[pieces.Count]);
    }

    private readonly record struct LoadPiece(long Block, CacheEntry Entry, int First, int Count, bool Ahead)
    {
        public ulong Mask => RangeMask(First, First + Count - 1);
    }

    /// <summary>The load's own blocks as runs within windows, in physical order.</summary>
    private static List<LoadPiece> Pieces(ReadLoad load)
    {
        var pieces = new List<LoadPiece>();
        foreach (var (entry, mask, ahead) in load.Own)
        {
            ulong runs = mask;
            while (NextRun(ref runs, out int first, out int last))
            {
                pieces.Add(new LoadPiece(entry.Window + first, entry, first, last - first + 1, ahead));
            }
        }
        pieces.Sort((a, b) => a.Block.CompareTo(b.Block));
        return pieces;
    }

    /// <summary>
    /// Unpins the pieces; those that landed become valid, and are indexed with the <paramref name="hashes"/>
    /// of their bytes, unless a Discard superseded them meanwhile.
    /// </summary>
    private void Complete(List<LoadPiece> pieces, bool[] landed, WindowHashes[] hashes)
    {
        lock (_gate)
        {
            for (int i = 0; i < pieces.Count; i++)
            {
                var entry = pieces[i].Entry;
                ulong mask = pieces[i].Mask;
                if (landed[i])
                {
                    ulong valid = mask & ~entry.Superseded;
                    entry.Valid |= valid;
                    BlocksBecameClean(entry, valid, hashes[i]);
                    int n = BitOperations.PopCount(valid);
                    _misses += n;
                    // The read's copy-out that follows counts its blocks as hits.
                    if (!pieces[i].Ahead)
                    {
                        _hits -= n;
                    }
                }
                entry.Loading &= ~mask;
                entry.Superseded &= ~mask;
                if (entry.Loading == 0)
                {
                    _loadingEntries--;
                }
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Under <c>_gate</c>: waits until no block of <paramref name="mask"/> is being loaded into the entry.</summary>
    private void WaitForLoad(CacheEntry entry, ulong mask)
    {
        while ((entry.Loading & mask) != 0)
        {
            Monitor.Wait(_gate);
        }
    }
}
