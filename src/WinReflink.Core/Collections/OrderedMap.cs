namespace WinReflink.Core.Collections;

/// <summary>
/// An ordered map from <see cref="long"/> keys to values with floor/ceiling look-ups, kept as a list of
/// small sorted chunks. Extent maps, the refcount table and free space all need "the range that
/// starts at or before X" in O(log n); a chunked array gives that with far less allocation and
/// pointer chasing than a balanced tree, and inserts cost O(chunk size), not O(n).
/// Most maps are tiny (a small file has one extent, a new directory a few entries) and there is one per
/// file, so chunks start with room for one entry and double up to <see cref="MaxChunk"/>: the map costs
/// what it holds, not a full chunk per file.
/// </summary>
internal sealed class OrderedMap<TValue>
{
    private const int MaxChunk = 256;

    /// <summary>Keys[0..Count) sorted ascending; every key of a chunk is below every key of the next chunk.</summary>
    private sealed class Chunk
    {
        public Chunk(int capacity)
        {
            Keys = new long[capacity];
            Values = new TValue[capacity];
        }

        public long[] Keys;
        public TValue[] Values;
        public int Count;

        public void Grow()
        {
            int capacity = Math.Min(MaxChunk, Keys.Length * 2);
            Array.Resize(ref Keys, capacity);
            Array.Resize(ref Values, capacity);
        }
    }

    /// <summary>_chunks[0.._chunkCount) in key order; none is empty.</summary>
    private Chunk[] _chunks = [];
    private int _chunkCount;
    private int _count;

    public int Count => _count;

    public void Clear()
    {
        _chunks = [];
        _chunkCount = 0;
        _count = 0;
    }

    /// <summary>Index of the last chunk whose first key is &lt;= key, or 0.</summary>
    private int ChunkFor(long key)
    {
        int lo = 0, hi = _chunkCount - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (_chunks[mid].Keys[0] <= key)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    public bool TryGetValue(long key, out TValue value)
    {
        if (_count > 0)
        {
            var c = _chunks[ChunkFor(key)];
            int i = Array.BinarySearch(c.Keys, 0, c.Count, key);
            if (i >= 0)
            {
                value = c.Values[i];
                return true;
            }
        }
        value = default!;
        return false;
    }

    public bool ContainsKey(long key) => TryGetValue(key, out _);

    public void Set(long key, TValue value)
    {
        if (_chunkCount == 0)
        {
            InsertChunk(0, new Chunk(1));
        }
        int ci = ChunkFor(key);
        var c = _chunks[ci];
        int i = Array.BinarySearch(c.Keys, 0, c.Count, key);
        if (i >= 0)
        {
            c.Values[i] = value;
            return;
        }
        i = ~i;
        if (c.Count == c.Keys.Length)
        {
            if (c.Count < MaxChunk)
            {
                c.Grow();
            }
            else if (i == c.Count && ci == _chunkCount - 1)
            {
                // Appending past the last key (loads in key order, growing cookies, a file written
                // front to back) starts a new chunk, so those chunks end full rather than half full.
                c = new Chunk(1);
                InsertChunk(ci + 1, c);
                i = 0;
            }
            else
            {
                int half = MaxChunk / 2;
                var right = new Chunk(MaxChunk);
                Array.Copy(c.Keys, half, right.Keys, 0, MaxChunk - half);
                Array.Copy(c.Values, half, right.Values, 0, MaxChunk - half);
                Array.Clear(c.Values, half, MaxChunk - half);
                right.Count = MaxChunk - half;
                c.Count = half;
                InsertChunk(ci + 1, right);
                if (i > half)
                {
                    c = right;
                    i -= half;
                }
            }
        }
        Array.Copy(c.Keys, i, c.Keys, i + 1, c.Count - i);
        Array.Copy(c.Values, i, c.Values, i + 1, c.Count - i);
        c.Keys[i] = key;
        c.Values[i] = value;
        c.Count++;
        _count++;
    }

    private void InsertChunk(int index, Chunk chunk)
    {
        if (_chunkCount == _chunks.Length)
        {
            Array.Resize(ref _chunks, Math.Max(1, _chunkCount * 2));
        }
        Array.Copy(_chunks, index, _chunks, index + 1, _chunkCount - index);
        _chunks[index] = chunk;
        _chunkCount++;
    }

    private void RemoveChunk(int index)
    {
        _chunkCount--;
        Array.Copy(_chunks, index + 1, _chunks, index, _chunkCount - index);
        _chunks[_chunkCount] = null!;
    }

    public bool Remove(long key)
    {
        if (_count == 0)
        {
            return false;
        }
        int ci = ChunkFor(key);
        var c = _chunks[ci];
        int i = Array.BinarySearch(c.Keys, 0, c.Count, key);
        if (i < 0)
        {
            return false;
        }
        Array.Copy(c.Keys, i + 1, c.Keys, i, c.Count - i - 1);
        Array.Copy(c.Values, i + 1, c.Values, i, c.Count - i - 1);
        c.Count--;
        c.Values[c.Count] = default!;
        _count--;
        if (c.Count == 0)
        {
            RemoveChunk(ci);
        }
        return true;
    }

    /// <summary>The entry with the greatest key &lt;= <paramref name="key"/>.</summary>
    public bool TryFloor(long key, out long foundKey, out TValue value)
    {
        if (_count > 0)
        {
            int ci = ChunkFor(key);
            var c = _chunks[ci];
            int i = Array.BinarySearch(c.Keys, 0, c.Count, key);
            if (i < 0)
            {
                i = ~i - 1;
            }
            if (i >= 0)
            {
                foundKey = c.Keys[i];
                value = c.Values[i];
                return true;
            }
        }
        foundKey = 0;
        value = default!;
        return false;
    }

    /// <summary>The entry with the least key &gt;= <paramref name="key"/>.</summary>
    public bool TryCeiling(long key, out long foundKey, out TValue value)
    {
        if (_count > 0)
        {
            for (int ci = ChunkFor(key); ci < _chunkCount; ci++)
            {
                var c = _chunks[ci];
                int i = Array.BinarySearch(c.Keys, 0, c.Count, key);
                if (i < 0)
                {
                    i = ~i;
                }
                if (i < c.Count)
                {
                    foundKey = c.Keys[i];
                    value = c.Values[i];
                    return true;
                }
            }
        }
        foundKey = 0;
        value = default!;
        return false;
    }

    /// <summary>Entries with keys in [from, to), in key order. The map must not change while this runs.</summary>
    public IEnumerable<KeyValuePair<long, TValue>> Range(long from, long to)
    {
        if (_count == 0)
        {
            yield break;
        }
        for (int ci = ChunkFor(from); ci < _chunkCount; ci++)
        {
            var c = _chunks[ci];
            int i = Array.BinarySearch(c.Keys, 0, c.Count, from);
            if (i < 0)
            {
                i = ~i;
            }
            for (; i < c.Count; i++)
            {
                if (c.Keys[i] >= to)
                {
                    yield break;
                }
                yield return new KeyValuePair<long, TValue>(c.Keys[i], c.Values[i]);
            }
        }
    }

    public IEnumerable<KeyValuePair<long, TValue>> All() => Range(long.MinValue, long.MaxValue);

    /// <summary>Collects entries in [from, to) into a list, for callers that then change the map.</summary>
    public List<KeyValuePair<long, TValue>> Snapshot(long from, long to) => new(Range(from, to));

    /// <summary>Entries the map has room for without growing: what it costs, for tests of its footprint.</summary>
    internal int AllocatedSlots
    {
        get
        {
            int slots = 0;
            for (int ci = 0; ci < _chunkCount; ci++)
            {
                slots += _chunks[ci].Keys.Length;
            }
            return slots;
        }
    }
}
