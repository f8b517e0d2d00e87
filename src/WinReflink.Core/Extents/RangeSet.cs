using WinReflink.Core.Collections;

namespace WinReflink.Core.Extents;

/// <summary>
/// A set of block numbers kept as merged, non-overlapping ranges (start → length). Free space,
/// busy extents and recently-unshared blocks are all sets of this kind.
/// </summary>
internal sealed class RangeSet
{
    private readonly ChangeTrackedMap<long> _ranges = new();

    public long TotalBlocks { get; private set; }
    public int RangeCount => _ranges.Count;
    public ChangeTrackedMap<long> Rows => _ranges;

    public void Load(long start, long length)
    {
        _ranges.Load(start, length);
        TotalBlocks += length;
    }

    public void Clear()
    {
        foreach (var kv in _ranges.Map.Snapshot(long.MinValue, long.MaxValue))
        {
            _ranges.Remove(kv.Key);
        }
        TotalBlocks = 0;
    }

    public IEnumerable<BlockRange> All()
    {
        foreach (var kv in _ranges.Map.All())
        {
            yield return new BlockRange(kv.Key, kv.Value);
        }
    }

    /// <summary>Whether the block is in the set, and how many blocks from it share that answer (capped at max).</summary>
    public (bool Inside, long Run) RunAt(long block, long max)
    {
        if (_ranges.Map.TryFloor(block, out long s, out long len) && block < s + len)
        {
            return (true, Math.Min(max, s + len - block));
        }
        if (_ranges.Map.TryCeiling(block, out long next, out _))
        {
            return (false, Math.Min(max, next - block));
        }
        return (false, max);
    }

    public bool Contains(long block) => RunAt(block, 1).Inside;

    /// <summary>Whether any block of [start, start+length) is in the set.</summary>
    public bool Overlaps(long start, long length)
    {
        var (inside, run) = RunAt(start, length);
        return inside || run < length;
    }

    /// <summary>Adds blocks that are not already in the set, merging with neighbours.</summary>
    public void Add(long start, long length)
    {
        if (length <= 0)
        {
            return;
        }
        if (Overlaps(start, length))
        {
            throw new InvalidOperationException($"range {start}+{length} is already (partly) in the set");
        }
        long newStart = start, newLen = length;
        if (_ranges.Map.TryFloor(start - 1, out long ps, out long pl) && ps + pl == start)
        {
            _ranges.Remove(ps);
            newStart = ps;
            newLen += pl;
        }
        if (_ranges.Map.TryGetValue(start + length, out long nl))
        {
            _ranges.Remove(start + length);
            newLen += nl;
        }
        _ranges.Set(newStart, newLen);
        TotalBlocks += length;
    }

    /// <summary>Adds [start, start+length), ignoring the blocks already present.</summary>
    public void AddMissing(long start, long length)
    {
        long b = start, end = start + length;
        while (b < end)
        {
            var (inside, run) = RunAt(b, end - b);
            if (!inside)
            {
                Add(b, run);
            }
            b += run;
        }
    }

    /// <summary>Removes every block of [start, start+length) that is in the set.</summary>
    public void Remove(long start, long length)
    {
        long end = start + length;
        if (_ranges.Map.TryFloor(start, out long fs, out long fl) && fs + fl > start)
        {
            SplitOut(fs, fl, start, end);
        }
        foreach (var kv in _ranges.Map.Snapshot(start, end))
        {
            SplitOut(kv.Key, kv.Value, start, end);
        }
    }

    private void SplitOut(long rs, long rl, long start, long end)
    {
        long re = rs + rl;
        long cutStart = Math.Max(rs, start), cutEnd = Math.Min(re, end);
        if (cutStart >= cutEnd)
        {
            return;
        }
        _ranges.Remove(rs);
        if (rs < cutStart)
        {
            _ranges.Set(rs, cutStart - rs);
        }
        if (cutEnd < re)
        {
            _ranges.Set(cutEnd, re - cutEnd);
        }
        TotalBlocks -= cutEnd - cutStart;
    }

    /// <summary>The first range at or after block (or the one containing it), wrapping to the start once.</summary>
    public bool TryFindFrom(long block, out long start, out long length)
    {
        if (_ranges.Map.TryFloor(block, out start, out length) && block < start + length)
        {
            length -= block - start;
            start = block;
            return true;
        }
        if (_ranges.Map.TryCeiling(block, out start, out length))
        {
            return true;
        }
        return _ranges.Map.TryCeiling(long.MinValue, out start, out length);
    }
}
