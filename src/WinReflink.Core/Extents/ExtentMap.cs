using WinReflink.Core.Collections;

namespace WinReflink.Core.Extents;

/// <summary>
/// The logical-to-physical map of one file, in extents keyed by logical block. Holes are absent.
/// Unwritten extents (from fallocate) own space but read as zeros.
/// </summary>
internal sealed class ExtentMap
{
    private readonly ChangeTrackedMap<ExtentValue> _extents = new();

    public int Count => _extents.Count;
    public ChangeTrackedMap<ExtentValue> Rows => _extents;

    /// <summary>
    /// Blocks mapped (written or unwritten): st_blocks and the allocation size. Stored in the inode row
    /// (format version 6) and kept up to date by every change of the map, so getattr needs neither the
    /// map nor a walk of it. Invariant: the sum of the extents' lengths (both checkers verify it).
    /// </summary>
    public long MappedBlocks { get; private set; }

    /// <summary>Rows meta.db holds for this map as of the last capture; the capture counts the difference into the volume's extent count.</summary>
    public int StoredCount { get; private set; }

    /// <summary>Adds a stored row (a load); <see cref="MappedBlocks"/> is the inode row's (<see cref="LoadBlocks"/>), or counted after (<see cref="Recount"/>).</summary>
    public void Load(long logical, ExtentValue value)
    {
        _extents.Load(logical, value);
        StoredCount++;
    }

    /// <summary>The block count the inode row stores (format version 6), as loaded with it.</summary>
    public void LoadBlocks(long blocks) => MappedBlocks = blocks;

    /// <summary>Sets <see cref="MappedBlocks"/> to the sum of the extents' lengths (a volume before format version 6, a repair); true when that changed it.</summary>
    public bool Recount()
    {
        long blocks = 0;
        foreach (var kv in _extents.Map.All())
        {
            blocks += kv.Value.Length;
        }
        bool changed = blocks != MappedBlocks;
        MappedBlocks = blocks;
        return changed;
    }

    /// <summary>What the map gained (or lost, negative) in rows since the last capture.</summary>
    public int PendingCountChange => Count - StoredCount;

    /// <summary>The <see cref="PendingCountChange"/>, which the capture calling this now stores.</summary>
    public int TakeCountChange()
    {
        int change = PendingCountChange;
        StoredCount = Count;
        return change;
    }

    /// <summary>The extent covering the block, or the distance to the next extent (hole run, capped at max).</summary>
    public bool TryFind(long logical, long max, out Extent extent, out long holeRun)
    {
        if (_extents.Map.TryFloor(logical, out long l, out var v) && logical < l + v.Length)
        {
            extent = new Extent(l, v.Physical, v.Length, v.Unwritten);
            holeRun = 0;
            return true;
        }
        extent = default;
        holeRun = _extents.Map.TryCeiling(logical, out long next, out _) ? Math.Min(max, next - logical) : max;
        return false;
    }

    /// <summary>The pieces of extents that intersect [logical, logical+count), clipped to that range.</summary>
    public List<Extent> Pieces(long logical, long count)
    {
        var result = new List<Extent>();
        if (count <= 0)
        {
            return result;
        }
        long end = logical + count;
        if (_extents.Map.TryFloor(logical, out long l, out var v) && l < logical && l + v.Length > logical)
        {
            result.Add(Clip(new Extent(l, v.Physical, v.Length, v.Unwritten), logical, end));
        }
        foreach (var kv in _extents.Map.Range(logical, end))
        {
            result.Add(Clip(new Extent(kv.Key, kv.Value.Physical, kv.Value.Length, kv.Value.Unwritten), logical, end));
        }
        return result;
    }

    private static Extent Clip(Extent e, long start, long end)
    {
        long s = Math.Max(e.Logical, start), en = Math.Min(e.LogicalEnd, end);
        return new Extent(s, e.Physical + (s - e.Logical), en - s, e.Unwritten);
    }

    public IEnumerable<Extent> All()
    {
        foreach (var kv in _extents.Map.All())
        {
            yield return new Extent(kv.Key, kv.Value.Physical, kv.Value.Length, kv.Value.Unwritten);
        }
    }

    /// <summary>Unmaps [logical, logical+count) and returns what was mapped there.</summary>
    public List<Extent> Remove(long logical, long count)
    {
        var removed = Pieces(logical, count);
        if (removed.Count == 0)
        {
            return removed;
        }
        foreach (var r in removed)
        {
            MappedBlocks -= r.Length;
        }
        long end = logical + count;
        if (_extents.Map.TryFloor(logical, out long l, out var v) && l < logical && l + v.Length > logical)
        {
            _extents.Set(l, v with { Length = logical - l });
            if (l + v.Length > end)
            {
                _extents.Set(end, new ExtentValue(v.Physical + (end - l), l + v.Length - end, v.Unwritten));
            }
        }
        foreach (var kv in _extents.Map.Snapshot(logical, end))
        {
            _extents.Remove(kv.Key);
            long e = kv.Key + kv.Value.Length;
            if (e > end)
            {
                _extents.Set(end, new ExtentValue(kv.Value.Physical + (end - kv.Key), e - end, kv.Value.Unwritten));
            }
        }
        return removed;
    }

    /// <summary>Maps a hole; merges with neighbours that continue it logically and physically.</summary>
    public void Insert(Extent e)
    {
        if (e.Length <= 0)
        {
            return;
        }
        MappedBlocks += e.Length;
        long start = e.Logical, phys = e.Physical, len = e.Length;
        if (_extents.Map.TryFloor(start - 1, out long pl, out var pv)
            && pl + pv.Length == start && pv.Physical + pv.Length == phys && pv.Unwritten == e.Unwritten)
        {
            _extents.Remove(pl);
            start = pl;
            phys = pv.Physical;
            len += pv.Length;
        }
        if (_extents.Map.TryGetValue(e.LogicalEnd, out var nv) && nv.Physical == e.Physical + e.Length && nv.Unwritten == e.Unwritten)
        {
            _extents.Remove(e.LogicalEnd);
            len += nv.Length;
        }
        _extents.Set(start, new ExtentValue(phys, len, e.Unwritten));
    }

    /// <summary>The logical block after the last mapped one (0 when empty).</summary>
    public long EndBlock()
    {
        return _extents.Map.TryFloor(long.MaxValue, out long l, out var v) ? l + v.Length : 0;
    }
}
