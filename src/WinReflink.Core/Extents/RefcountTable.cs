using WinReflink.Core.Collections;

namespace WinReflink.Core.Extents;

/// <summary>The value of one shared range: its length and reference count (always &gt;= 2).</summary>
internal readonly record struct SharedRange(long Length, int Refs);

/// <summary>
/// Reference counts of physical blocks, as XFS and OpenZFS keep them: a mapped block with exactly one
/// owner has no row; only ranges with two or more references are stored, split and merged as
/// clones and copy-on-write touch them.
/// </summary>
internal sealed class RefcountTable
{
    private readonly ChangeTrackedMap<SharedRange> _rows = new();

    public ChangeTrackedMap<SharedRange> Rows => _rows;

    public void Load(long start, SharedRange value) => _rows.Load(start, value);

    /// <summary>Refs of the block (1 when it has no row; the caller knows it is mapped) and how far that holds.</summary>
    public (int Refs, long Run) RunAt(long block, long max)
    {
        if (_rows.Map.TryFloor(block, out long s, out var v) && block < s + v.Length)
        {
            return (v.Refs, Math.Min(max, s + v.Length - block));
        }
        if (_rows.Map.TryCeiling(block, out long next, out _))
        {
            return (1, Math.Min(max, next - block));
        }
        return (1, max);
    }

    /// <summary>Physical bytes mapped more than once, and the blocks sharing saves, in blocks.</summary>
    public (long SharedBlocks, long SavedBlocks) Totals()
    {
        long shared = 0, saved = 0;
        foreach (var kv in _rows.Map.All())
        {
            shared += kv.Value.Length;
            saved += kv.Value.Length * (kv.Value.Refs - 1);
        }
        return (shared, saved);
    }

    public IEnumerable<(long Start, SharedRange Range)> All()
    {
        foreach (var kv in _rows.Map.All())
        {
            yield return (kv.Key, kv.Value);
        }
    }

    /// <summary>Splits the row that strictly contains block so that a row boundary falls on it.</summary>
    private void SplitAt(long block)
    {
        if (_rows.Map.TryFloor(block, out long s, out var v) && s < block && block < s + v.Length)
        {
            _rows.Set(s, v with { Length = block - s });
            _rows.Set(block, v with { Length = s + v.Length - block });
        }
    }

    /// <summary>Adds one reference to every block of the range (each block is already mapped at least once).</summary>
    public void AddReference(long start, long length)
    {
        long end = start + length;
        SplitAt(start);
        SplitAt(end);
        long b = start;
        foreach (var kv in _rows.Map.Snapshot(start, end))
        {
            if (kv.Key > b)
            {
                _rows.Set(b, new SharedRange(kv.Key - b, 2));
            }
            _rows.Set(kv.Key, kv.Value with { Refs = kv.Value.Refs + 1 });
            b = kv.Key + kv.Value.Length;
        }
        if (b < end)
        {
            _rows.Set(b, new SharedRange(end - b, 2));
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
        long end = start + length;
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
                _rows.Remove(kv.Key);
                unshared.Add(new BlockRange(kv.Key, kv.Value.Length));
            }
            else
            {
                _rows.Set(kv.Key, kv.Value with { Refs = kv.Value.Refs - 1 });
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
                _rows.Remove(c.Key);
                _rows.Set(a.Key, merged);
                rows[i + 1] = new KeyValuePair<long, SharedRange>(a.Key, merged);
            }
        }
    }
}
