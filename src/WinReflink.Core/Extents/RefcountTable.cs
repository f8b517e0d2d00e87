using WinReflink.Core.Collections;

namespace WinReflink.Core.Extents;

/// <summary>The value of one shared range: its length and reference count (always &gt;= 2).</summary>
internal readonly record struct SharedRange(long Length, int Refs);

/// <summary>
/// Reference counts of physical blocks, as XFS and OpenZFS keep them: a mapped block with exactly one
/// owner has no row; only ranges with two or more references are stored, split and merged as
/// clones and copy-on-write touch them. Rows never overlap, and adjacent rows have different counts.
/// <para>
/// Loaded whole (no <see cref="IStoredSharedRanges"/>: `check`, repair, tests), or paged (issue 11):
/// the physical blocks are cut into segments of <see cref="SegmentBlocks"/>, a row belongs to the
/// segment its start lies in, and a segment's rows are read from meta.db the first time an operation
/// touches the blocks around it. Invariants, between calls:
/// </para>
/// <list type="number">
/// <item>the map holds exactly the rows of the resident segments, each as it stands now;</item>
/// <item>when a row starting before a resident segment reaches into it, that row's segment is resident
/// too, so the row that covers a block of a resident segment is in the map;</item>
/// <item>a segment with rows changed since the last durable commit is resident (the read-only
/// connection reads that commit: for any other segment it is the truth).</item>
/// </list>
/// Every call first makes resident what it reads or changes, then works on the map as on a whole
/// table. Clean segments are dropped, least recently used first, when the resident rows and
/// segments pass the budget. The whole-volume totals are kept as the rows change, from the values the
/// settings store (format version 5), so they never need a scan. Not thread-safe: the caller
/// serializes every call (<see cref="Space.BlockSpace"/>'s gate, or the volume lock held exclusively).
/// </summary>
internal sealed class RefcountTable
{
    /// <summary>
    /// Blocks per segment: 4 MiB of 4 KiB blocks. A row is at least one block long, so loading a
    /// segment reads at most 1,024 rows (about a millisecond in the worst, fully fragmented case) while
    /// a typical write's or clone's range falls in one or two segments; a long range is read in one
    /// query over all its segments. Fixed in blocks, so that bound holds at every block size.
    /// </summary>
    public const long SegmentBlocks = 1024;

    /// <summary>What one resident row or segment costs in memory, for the budget: a row's key and value in the map's chunks (at most half empty), a segment's dictionary entry.</summary>
    public const long EntryBytes = 64;

    /// <summary>The widest step of <see cref="RunAt"/>'s doubling window (a million segments, 4 TiB of 4 KiB blocks), so the window never overflows.</summary>
    private const long MaxWindowBlocks = SegmentBlocks << 20;

    private readonly ChangeTrackedMap<SharedRange> _rows = new();
    /// <summary>Where a paged table reads its segments; null when the table is loaded whole.</summary>
    private readonly IStoredSharedRanges? _stored;
    /// <summary>The most resident rows plus resident segments a paged table keeps once loads pass it.</summary>
    private readonly long _budget;
    /// <summary>The resident segments, each with the number of the last operation that used it.</summary>
    private readonly Dictionary<long, long> _resident = new();
    /// <summary>Segments with rows changed since the last capture.</summary>
    private readonly HashSet<long> _changedSegments = new();
    /// <summary>Segments with rows changed in the capture being written (not durable yet).</summary>
    private readonly HashSet<long> _committingSegments = new();
    private readonly List<(long Start, SharedRange Range)> _read = new();
    /// <summary>The number of the operation in progress: segments it made resident are not dropped until it returns.</summary>
    private long _operation;
    private long _sharedBlocks;
    private long _savedBlocks;

    /// <summary>An empty table, loaded whole.</summary>
    public RefcountTable()
        : this(0, 0, null, 0)
    {
    }

    /// <param name="sharedBlocks">The stored total of blocks with two or more references (the settings' value).</param>
    /// <param name="savedBlocks">The stored total of blocks sharing saves.</param>
    /// <param name="stored">Where segments are read from; null for a table loaded whole (<see cref="Load"/>).</param>
    /// <param name="budgetEntries">With <paramref name="stored"/>: the resident rows plus segments past which clean segments are dropped.</param>
    public RefcountTable(long sharedBlocks, long savedBlocks, IStoredSharedRanges? stored, long budgetEntries)
    {
        _sharedBlocks = sharedBlocks;
        _savedBlocks = savedBlocks;
        _stored = stored;
        _budget = Math.Max(0, budgetEntries);
    }

    /// <summary>Whether the rows are read by segment on demand (otherwise they are all here).</summary>
    public bool Paged => _stored != null;

    /// <summary>Whether a commit has rows to write.</summary>
    public bool HasChanges => _rows.HasChanges;

    /// <summary>Segments read from meta.db since open, and segments dropped (for tests and statistics).</summary>
    public (long Loaded, long Evicted) SegmentStatistics => (_segmentsLoaded, _segmentsEvicted);

    public int ResidentRows => _rows.Count;
    public int ResidentSegments => _resident.Count;

    private long _segmentsLoaded;
    private long _segmentsEvicted;

    private static long SegmentOf(long block) => Math.Max(0, block) / SegmentBlocks;

    /// <summary>Loads a stored row of a table loaded whole, unchanged and not counted (the stored totals already count it).</summary>
    public void Load(long start, SharedRange value) => _rows.Load(start, value);

    /// <summary>Refs of the block (1 when it has no row; the caller knows it is mapped) and how far that holds.</summary>
    public (int Refs, long Run) RunAt(long block, long max)
    {
        _operation++;
        long end = block + max;
        // A paged table reads a window from the block's segment on, doubled while no row ends the run,
        // so that a long single-owner range does not read every segment it crosses at once.
        long window = SegmentBlocks;
        long upTo = Paged ? Math.Min(end, SegmentOf(block) * SegmentBlocks + window) : end;
        while (true)
        {
            Ensure(block, upTo);
            if (_rows.Map.TryFloor(block, out long s, out var v) && block < s + v.Length)
            {
                return (v.Refs, Math.Min(max, s + v.Length - block));
            }
            if (_rows.Map.TryCeiling(block, out long next, out _) && next < upTo)
            {
                return (1, next - block);
            }
            if (upTo >= end)
            {
                return (1, max);
            }
            window = Math.Min(window * 2, MaxWindowBlocks);
            upTo = Math.Min(end, upTo + window);
        }
    }

    /// <summary>Blocks mapped more than once, and the blocks sharing saves, as of now: the stored totals plus every change since.</summary>
    public (long SharedBlocks, long SavedBlocks) Totals() => (_sharedBlocks, _savedBlocks);

    /// <summary>Sets the totals from the rows (a repair, after it rebuilt them). Only for a table loaded whole.</summary>
    public void Recount() => (_sharedBlocks, _savedBlocks) = SumOfRows();

    /// <summary>The totals summed over every row. Only for a table loaded whole.</summary>
    public (long SharedBlocks, long SavedBlocks) SumOfRows()
    {
        long shared = 0, saved = 0;
        foreach (var (_, r) in All())
        {
            shared += r.Length;
            saved += r.Length * (r.Refs - 1);
        }
        return (shared, saved);
    }

    /// <summary>Every row, in start order. Only for a table loaded whole.</summary>
    public IEnumerable<(long Start, SharedRange Range)> All()
    {
        RequireWhole();
        foreach (var kv in _rows.Map.All())
        {
            yield return (kv.Key, kv.Value);
        }
    }

    /// <summary>Whether a row covers the block. Only for a table loaded whole.</summary>
    public bool HasRowAt(long block)
    {
        RequireWhole();
        return _rows.Map.TryFloor(block, out long s, out var v) && block < s + v.Length;
    }

    private void RequireWhole()
    {
        if (Paged)
        {
            throw new InvalidOperationException("the whole shared table was asked of one that holds only the segments in use");
        }
    }

    /// <summary>Stores a row (a repair rebuilding the table); the totals follow.</summary>
    public void Put(long start, SharedRange range)
    {
        if (_rows.Map.TryGetValue(start, out var old))
        {
            Count(old, -1);
        }
        _rows.Set(start, range);
        Count(range, 1);
        Changed(start);
    }

    /// <summary>Deletes a row (a repair rebuilding the table); the totals follow.</summary>
    public void Delete(long start)
    {
        if (_rows.Map.TryGetValue(start, out var old))
        {
            _rows.Remove(start);
            Count(old, -1);
            Changed(start);
        }
    }

    private void Count(SharedRange r, int sign)
    {
        _sharedBlocks += sign * r.Length;
        _savedBlocks += sign * r.Length * (r.Refs - 1);
    }

    /// <summary>A row of the segment changed: it stays resident until a durable commit holds the change (invariant 3).</summary>
    private void Changed(long start)
    {
        if (!Paged)
        {
            return;
        }
        long segment = SegmentOf(start);
        if (!_resident.ContainsKey(segment))
        {
            throw new InvalidOperationException($"shared row {start} changed in segment {segment}, which is not resident");
        }
        _changedSegments.Add(segment);
    }

    /// <summary>
    /// Every row changed since the last capture once (present ones with their value), for the commit
    /// being captured; from here the segments they belong to wait for that commit (<see cref="Durable"/>).
    /// </summary>
    public void DrainChanges(Action<long, bool, SharedRange> apply)
    {
        _rows.DrainChanges(apply);
        _committingSegments.UnionWith(_changedSegments);
        _changedSegments.Clear();
    }

    /// <summary>The captured commit is durable: meta.db now holds its rows, and their segments may be dropped.</summary>
    public void Durable() => _committingSegments.Clear();

    /// <summary>Drops clean segments down to the budget (a tiny one: every clean segment); with no operation in progress.</summary>
    public void Trim()
    {
        _operation++;
        TrimBelow(_operation);
    }

    /// <summary>Splits the row that strictly contains block so that a row boundary falls on it.</summary>
    private void SplitAt(long block)
    {
        if (_rows.Map.TryFloor(block, out long s, out var v) && s < block && block < s + v.Length)
        {
            Put(s, v with { Length = block - s });
            Put(block, v with { Length = s + v.Length - block });
        }
    }

    /// <summary>Adds one reference to every block of the range (each block is already mapped at least once).</summary>
    public void AddReference(long start, long length)
    {
        _operation++;
        long end = start + length;
        Ensure(start - 1, end + 1);
        SplitAt(start);
        SplitAt(end);
        long b = start;
        foreach (var kv in _rows.Map.Snapshot(start, end))
        {
            if (kv.Key > b)
            {
                Put(b, new SharedRange(kv.Key - b, 2));
            }
            Put(kv.Key, kv.Value with { Refs = kv.Value.Refs + 1 });
            b = kv.Key + kv.Value.Length;
        }
        if (b < end)
        {
            Put(b, new SharedRange(end - b, 2));
        }
        MergeAround(start, end);
    }

    /// <summary>
    /// Drops one reference from every block of the range. Blocks that lose their last reference are
    /// appended to <paramref name="freed"/>; blocks that go from two references to one are appended to
    /// <paramref name="unshared"/>.
    /// </summary>
    public void DropReference(long start, long length, List<BlockRange> freed, List<BlockRange> unshared)
    {
        _operation++;
        long end = start + length;
        Ensure(start - 1, end + 1);
        SplitAt(start);
        SplitAt(end);
        long b = start;
        foreach (var kv in _rows.Map.Snapshot(start, end))
        {
            if (kv.Key > b)
            {
                freed.Add(new BlockRange(b, kv.Key - b));
            }
            if (kv.Value.Refs == 2)
            {
                Delete(kv.Key);
                unshared.Add(new BlockRange(kv.Key, kv.Value.Length));
            }
            else
            {
                Put(kv.Key, kv.Value with { Refs = kv.Value.Refs - 1 });
            }
            b = kv.Key + kv.Value.Length;
        }
        if (b < end)
        {
            freed.Add(new BlockRange(b, end - b));
        }
        MergeAround(start, end);
    }

    /// <summary>Merges physically adjacent rows with equal refs around and inside [start, end).</summary>
    private void MergeAround(long start, long end)
    {
        long from = _rows.Map.TryFloor(start - 1, out long f, out _) ? f : start;
        var rows = _rows.Map.Snapshot(from, end + 1);
        for (int i = 0; i + 1 < rows.Count; i++)
        {
            var a = rows[i];
            var c = rows[i + 1];
            if (a.Key + a.Value.Length == c.Key && a.Value.Refs == c.Value.Refs)
            {
                var merged = new SharedRange(a.Value.Length + c.Value.Length, a.Value.Refs);
                Delete(c.Key);
                Put(a.Key, merged);
                rows[i + 1] = new KeyValuePair<long, SharedRange>(a.Key, merged);
            }
        }
    }

    /// <summary>
    /// Makes the segments covering [<paramref name="from"/>, <paramref name="to"/>) resident for the
    /// operation in progress (invariants 1 and 2 then give every row that starts in or covers a block
    /// of the range), reading each run of missing segments with one query; then keeps the budget.
    /// </summary>
    private void Ensure(long from, long to)
    {
        if (!Paged)
        {
            return;
        }
        long first = SegmentOf(from);
        long last = SegmentOf(Math.Max(from + 1, to) - 1);
        bool loaded = false;
        for (long k = first; k <= last; k++)
        {
            if (_resident.ContainsKey(k))
            {
                _resident[k] = _operation;
                continue;
            }
            long runEnd = k;
            while (runEnd < last && !_resident.ContainsKey(runEnd + 1))
            {
                runEnd++;
            }
            LoadRun(k, runEnd);
            loaded = true;
            k = runEnd;
        }
        if (loaded)
        {
            TrimBelow(_operation);
        }
    }

    /// <summary>
    /// Reads segments <paramref name="first"/>..<paramref name="last"/> (none resident), then, for
    /// invariant 2, the segment of the stored row that starts before them and reaches into them, and so
    /// on backwards. A segment whose predecessor is resident needs no such look: by invariant 2 for
    /// the predecessor, a row reaching across it is already here. A stored row whose segment is
    /// resident is only looked at, never loaded: the resident version is the current one (loaded
    /// twice, a row would come back as meta.db last had it). A row whose segment is not resident is
    /// current as stored (invariant 3), and since stored rows do not overlap either, the last one
    /// starting before a segment is the only one that can reach into it.
    /// </summary>
    private void LoadRun(long first, long last)
    {
        while (true)
        {
            _read.Clear();
            _stored!.Read(first * SegmentBlocks, (last + 1) * SegmentBlocks, _read);
            foreach (var (start, range) in _read)
            {
                _rows.Load(start, range);
            }
            for (long k = first; k <= last; k++)
            {
                _resident[k] = _operation;
                _segmentsLoaded++;
            }
            long segmentStart = first * SegmentBlocks;
            if (first == 0 || _resident.ContainsKey(first - 1)
                || !_stored.TryLastBefore(segmentStart, out long start0, out var before)
                || start0 + before.Length <= segmentStart
                || _resident.ContainsKey(SegmentOf(start0)))
            {
                return;
            }
            first = last = SegmentOf(start0);
        }
    }

    /// <summary>
    /// Past the budget, drops clean segments the operation numbered <paramref name="keep"/> did not
    /// use, least recently used first, until a quarter of the budget is free again. A segment whose
    /// last row reaches into another resident segment stays (invariant 2) until that one is gone.
    /// </summary>
    private void TrimBelow(long keep)
    {
        long target = _budget - _budget / 4;
        if (!Paged || Entries <= _budget)
        {
            return;
        }
        var candidates = _resident.Where(kv => kv.Value < keep && !_changedSegments.Contains(kv.Key) && !_committingSegments.Contains(kv.Key))
            .OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList();
        bool dropped = true;
        while (dropped && Entries > target)
        {
            dropped = false;
            foreach (long segment in candidates)
            {
                if (Entries <= target)
                {
                    break;
                }
                if (_resident.ContainsKey(segment) && !ReachesResidentSegment(segment))
                {
                    Evict(segment);
                    dropped = true;
                }
            }
        }
    }

    private long Entries => _rows.Count + _resident.Count;

    /// <summary>Whether the segment's last row reaches into a later resident segment.</summary>
    private bool ReachesResidentSegment(long segment)
    {
        long segmentEnd = (segment + 1) * SegmentBlocks;
        if (!_rows.Map.TryFloor(segmentEnd - 1, out long s, out var v) || SegmentOf(s) != segment || s + v.Length <= segmentEnd)
        {
            return false;
        }
        long reach = SegmentOf(s + v.Length - 1);
        if (reach - segment <= _resident.Count)
        {
            for (long k = segment + 1; k <= reach; k++)
            {
                if (_resident.ContainsKey(k))
                {
                    return true;
                }
            }
            return false;
        }
        return _resident.Keys.Any(k => k > segment && k <= reach);
    }

    private void Evict(long segment)
    {
        foreach (var kv in _rows.Map.Snapshot(segment * SegmentBlocks, (segment + 1) * SegmentBlocks))
        {
            _rows.Unload(kv.Key);
        }
        _resident.Remove(segment);
        _segmentsEvicted++;
    }

    /// <summary>
    /// The table as the volume stands, whole, for `check` with changes pending: the rows of
    /// <paramref name="stored"/> (meta.db loaded whole) in every segment <paramref name="live"/> does not
    /// hold, and the live rows in those it does (invariant 3: they are the changed ones); the totals
    /// are the live ones. A live table loaded whole is itself the answer.
    /// </summary>
    public static RefcountTable Overlay(RefcountTable stored, RefcountTable live)
    {
        if (!live.Paged)
        {
            return live;
        }
        var whole = new RefcountTable(live._sharedBlocks, live._savedBlocks, null, 0);
        foreach (var (start, range) in stored.All())
        {
            if (!live._resident.ContainsKey(SegmentOf(start)))
            {
                whole.Load(start, range);
            }
        }
        foreach (var kv in live._rows.Map.All())
        {
            whole.Load(kv.Key, kv.Value);
        }
        return whole;
    }
}
