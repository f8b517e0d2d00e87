using WinReflink.Core.Collections;

namespace WinReflink.Core.Extents;

/// <summary>
/// The logical-to-physical map of one file, in extents keyed by logical block. Holes are absent.
/// Unwritten extents (from fallocate) own space but read as zeros.
/// A map read from meta.db on demand (issue 11) is loaded when first used, not with its inode: its
/// <see cref="MappedBlocks"/> comes from the inode row, so getattr needs no extent row. Every member
/// that reads or changes extents loads the map first (one range query through <see cref="IStoredExtents"/>),
/// so no caller can take a map not loaded for an empty one; a clean map may be dropped again
/// (<see cref="DropClean"/>). Changes run under the inode's lock held exclusively, reads under it
/// shared: two readers may load at once, and the first to publish its rows wins (the other's are
/// the same rows, dropped).
/// </summary>
internal sealed class ExtentMap
{
    /// <summary>The rows; null while they are in meta.db only (<see cref="Attach"/>, <see cref="DropClean"/>).</summary>
    private ChangeTrackedMap<ExtentValue>? _extents = new();
    /// <summary>Where the rows are when not loaded; null for a map that is always loaded (a full load, a volume without a loader).</summary>
    private IStoredExtents? _stored;
    private long _ino;
    private int _storedCount;

    /// <summary>
    /// Blocks mapped (written or unwritten): st_blocks and the allocation size. Stored in the inode row
    /// (format version 6) and kept up to date by every change of the map, so getattr needs neither the
    /// map nor a walk of it. Invariant: the sum of the extents' lengths (both checkers verify it).
    /// Known whether or not the map is loaded.
    /// </summary>
    public long MappedBlocks { get; private set; }

    /// <summary>The extents; loads the map.</summary>
    public int Count => Rows.Count;

    /// <summary>Extents in memory: 0 while the map is not loaded (what the metadata budget charges).</summary>
    public int LoadedCount => Volatile.Read(ref _extents)?.Count ?? 0;

    public bool IsLoaded => Volatile.Read(ref _extents) != null;

    /// <summary>Rows meta.db holds for this map as of the last capture; the capture counts the difference into the volume's extent count. Loads the map.</summary>
    public int StoredCount
    {
        get
        {
            _ = Rows;
            return _storedCount;
        }
    }

    /// <summary>The rows, loaded from meta.db when they are not in memory.</summary>
    private ChangeTrackedMap<ExtentValue> Rows => Volatile.Read(ref _extents) ?? LoadStored();

    private ChangeTrackedMap<ExtentValue> LoadStored()
    {
        var stored = _stored ?? throw new InvalidOperationException("an extent map without rows in memory has them in meta.db");
        var rows = new ChangeTrackedMap<ExtentValue>();
        stored.Read(_ino, rows.Load);
        // Before it is published: a racing loader read the same rows and writes the same count.
        _storedCount = rows.Count;
        return Interlocked.CompareExchange(ref _extents, rows, null) ?? rows;
    }

    /// <summary>
    /// The map's rows are in <paramref name="stored"/> once committed: from now on a clean map may be
    /// dropped (<see cref="DropClean"/>) and read again when used. With <paramref name="loaded"/> false
    /// the map, which holds nothing yet, is not loaded: its rows are read at its first use. On entry
    /// the map has no change pending.
    /// </summary>
    public void Attach(IStoredExtents stored, long ino, bool loaded)
    {
        _stored = stored;
        _ino = ino;
        if (!loaded)
        {
            _extents = null;
            _storedCount = 0;
        }
    }

    /// <summary>
    /// Drops the rows from memory when meta.db has them as they are: the map has a store, and nothing
    /// changed since the last capture. The caller makes sure no commit is writing a capture of them
    /// (the inode is in neither transaction) and that no call uses the map meanwhile (the volume lock
    /// held exclusively). Returns the extents dropped.
    /// </summary>
    public int DropClean()
    {
        if (_stored == null || _extents is not { } rows || rows.HasChanges || rows.Count != _storedCount)
        {
            return 0;
        }
        _extents = null;
        return rows.Count;
    }

    /// <summary>Adds a stored row to a map being loaded whole (a full load, or a load with its inode); <see cref="MappedBlocks"/> is the inode row's (<see cref="LoadBlocks"/>), or counted after (<see cref="Recount"/>).</summary>
    public void Load(long logical, ExtentValue value)
    {
        (_extents ?? throw new InvalidOperationException("rows are loaded into a map held in memory")).Load(logical, value);
        _storedCount++;
    }

    /// <summary>The block count the inode row stores (format version 6), as loaded with it.</summary>
    public void LoadBlocks(long blocks) => MappedBlocks = blocks;

    /// <summary>Sets <see cref="MappedBlocks"/> to the sum of the extents' lengths (a volume before format version 6, a repair); true when that changed it.</summary>
    public bool Recount()
    {
        long blocks = 0;
        foreach (var kv in Rows.Map.All())
        {
            blocks += kv.Value.Length;
        }
        bool changed = blocks != MappedBlocks;
        MappedBlocks = blocks;
        return changed;
    }

    /// <summary>What the map gained (or lost, negative) in rows since the last capture; 0 while not loaded (nothing changed).</summary>
    public int PendingCountChange => _extents is { } rows ? rows.Count - _storedCount : 0;

    /// <summary>The <see cref="PendingCountChange"/>, which the capture calling this now stores.</summary>
    public int TakeCountChange()
    {
        int change = PendingCountChange;
        _storedCount += change;
        return change;
    }

    /// <summary>Every row changed since the last capture (<see cref="ChangeTrackedMap{TValue}.DrainChanges"/>); none while not loaded.</summary>
    public void DrainChanges(Action<long, bool, ExtentValue> apply) => _extents?.DrainChanges(apply);

    /// <summary>The extent covering the block, or the distance to the next extent (hole run, capped at max).</summary>
    public bool TryFind(long logical, long max, out Extent extent, out long holeRun)
    {
        var map = Rows.Map;
        if (map.TryFloor(logical, out long l, out var v) && logical < l + v.Length)
        {
            extent = new Extent(l, v.Physical, v.Length, v.Unwritten);
            holeRun = 0;
            return true;
        }
        extent = default;
        holeRun = map.TryCeiling(logical, out long next, out _) ? Math.Min(max, next - logical) : max;
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
        var map = Rows.Map;
        long end = logical + count;
        if (map.TryFloor(logical, out long l, out var v) && l < logical && l + v.Length > logical)
        {
            result.Add(Clip(new Extent(l, v.Physical, v.Length, v.Unwritten), logical, end));
        }
        foreach (var kv in map.Range(logical, end))
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
        foreach (var kv in Rows.Map.All())
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
        var rows = Rows;
        foreach (var r in removed)
        {
            MappedBlocks -= r.Length;
        }
        long end = logical + count;
        if (rows.Map.TryFloor(logical, out long l, out var v) && l < logical && l + v.Length > logical)
        {
            rows.Set(l, v with { Length = logical - l });
            if (l + v.Length > end)
            {
                rows.Set(end, new ExtentValue(v.Physical + (end - l), l + v.Length - end, v.Unwritten));
            }
        }
        foreach (var kv in rows.Map.Snapshot(logical, end))
        {
            rows.Remove(kv.Key);
            long e = kv.Key + kv.Value.Length;
            if (e > end)
            {
                rows.Set(end, new ExtentValue(kv.Value.Physical + (end - kv.Key), e - end, kv.Value.Unwritten));
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
        var rows = Rows;
        MappedBlocks += e.Length;
        long start = e.Logical, phys = e.Physical, len = e.Length;
        if (rows.Map.TryFloor(start - 1, out long pl, out var pv)
            && pl + pv.Length == start && pv.Physical + pv.Length == phys && pv.Unwritten == e.Unwritten)
        {
            rows.Remove(pl);
            start = pl;
            phys = pv.Physical;
            len += pv.Length;
        }
        if (rows.Map.TryGetValue(e.LogicalEnd, out var nv) && nv.Physical == e.Physical + e.Length && nv.Unwritten == e.Unwritten)
        {
            rows.Remove(e.LogicalEnd);
            len += nv.Length;
        }
        rows.Set(start, new ExtentValue(phys, len, e.Unwritten));
    }

    /// <summary>The logical block after the last mapped one (0 when empty).</summary>
    public long EndBlock()
    {
        return Rows.Map.TryFloor(long.MaxValue, out long l, out var v) ? l + v.Length : 0;
    }
}
