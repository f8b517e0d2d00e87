using System.Buffers.Binary;

namespace WinReflink.Core.Check;

/// <summary>
/// Sorts (key, value) pairs of any number by key in bounded memory: pairs gather in a run of at most
/// <c>runRows</c>, a full run is sorted and spilled to a temporary file, and reading merges the runs.
/// At most <see cref="MaxFanIn"/> runs are merged at once (more are first merged into longer runs), so
/// what is held is one run plus a small read buffer per merged run, whatever the number of pairs.
/// The order of pairs with equal keys is unspecified. Add everything before reading; the sorted
/// sequence can then be read any number of times.
/// </summary>
internal sealed class ExternalSort : IDisposable
{
    /// <summary>Runs merged at once: their read buffers are what a merge holds beside the last run.</summary>
    public const int MaxFanIn = 64;

    /// <summary>Pairs each run's reader holds at once (16 bytes each).</summary>
    public const int ReadBufferPairs = 256;

    private const int PairBytes = 16;

    private readonly int _runRows;
    /// <summary>The run being filled, grown as pairs come up to the run size, so a small volume does not pay for a full run.</summary>
    private long[] _keys = new long[1024];
    private long[] _values = new long[1024];
    private readonly string _directory;
    private readonly List<FileStream> _runs = new();
    private int _count;
    private bool _sorted;

    /// <param name="runRows">Pairs held in memory before a run is spilled; at least 1.</param>
    /// <param name="directory">Where the runs' temporary files go (deleted when closed).</param>
    public ExternalSort(int runRows, string directory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runRows, 1);
        _runRows = runRows;
        _directory = directory;
    }

    /// <summary>Pairs added so far.</summary>
    public long Count { get; private set; }

    /// <summary>The most pairs held in memory at once: the run being filled, or the last run plus the merge's read buffers.</summary>
    public long PeakRowsHeld { get; private set; }

    public void Add(long key, long value)
    {
        if (_sorted)
        {
            throw new InvalidOperationException("pairs added after the sort was read");
        }
        if (_count == _runRows)
        {
            Spill();
        }
        else if (_count == _keys.Length)
        {
            int grown = (int)Math.Min(_runRows, 2L * _keys.Length);
            Array.Resize(ref _keys, grown);
            Array.Resize(ref _values, grown);
        }
        _keys[_count] = key;
        _values[_count] = value;
        _count++;
        Count++;
        Hold(_count);
    }

    /// <summary>Every pair, by ascending key.</summary>
    public IEnumerable<(long Key, long Value)> Sorted()
    {
        if (!_sorted)
        {
            Array.Sort(_keys, _values, 0, _count);
            while (_runs.Count > MaxFanIn - 1)
            {
                // The last run stays in memory as one input of the final merge: room for MaxFanIn - 1 files.
                MergeFirstRuns(MaxFanIn);
            }
            _sorted = true;
        }
        var inputs = new List<IEnumerator<(long, long)>>();
        foreach (var run in _runs)
        {
            inputs.Add(ReadRun(run).GetEnumerator());
        }
        inputs.Add(Memory().GetEnumerator());
        Hold(_count + (long)_runs.Count * ReadBufferPairs);
        return Merge(inputs);
    }

    private IEnumerable<(long, long)> Memory()
    {
        for (int i = 0; i < _count; i++)
        {
            yield return (_keys[i], _values[i]);
        }
    }

    private void Hold(long pairs) => PeakRowsHeld = Math.Max(PeakRowsHeld, pairs);

    private void Spill()
    {
        Array.Sort(_keys, _values, 0, _count);
        _runs.Add(WriteRun(Memory()));
        _count = 0;
    }

    /// <summary>Replaces the first <paramref name="fanIn"/> spilled runs with one run holding their pairs in order.</summary>
    private void MergeFirstRuns(int fanIn)
    {
        var inputs = _runs.Take(fanIn).Select(r => ReadRun(r).GetEnumerator()).ToList();
        Hold(_count + (long)fanIn * ReadBufferPairs);
        var merged = WriteRun(Merge(inputs));
        foreach (var run in _runs.Take(fanIn))
        {
            run.Dispose();
        }
        _runs.RemoveRange(0, fanIn);
        _runs.Insert(0, merged);
    }

    /// <summary>A new run file holding the pairs, which come in key order.</summary>
    private FileStream WriteRun(IEnumerable<(long Key, long Value)> pairs)
    {
        var file = new FileStream(Path.Combine(_directory, "winreflink-check-" + Guid.NewGuid().ToString("N") + ".run"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose);
        var bytes = new byte[ReadBufferPairs * PairBytes];
        int filled = 0;
        foreach (var (key, value) in pairs)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(filled), key);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(filled + 8), value);
            filled += PairBytes;
            if (filled == bytes.Length)
            {
                file.Write(bytes, 0, filled);
                filled = 0;
            }
        }
        file.Write(bytes, 0, filled);
        return file;
    }

    /// <summary>A spilled run's pairs from its start; each reading has its own position, so a run can be read again.</summary>
    private static IEnumerable<(long, long)> ReadRun(FileStream run)
    {
        var buffer = new byte[ReadBufferPairs * PairBytes];
        long position = 0;
        while (true)
        {
            run.Position = position;
            int read = run.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            position += read;
            for (int k = 0; k + PairBytes <= read; k += PairBytes)
            {
                yield return (BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(k)), BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(k + 8)));
            }
            if (read < buffer.Length)
            {
                yield break;
            }
        }
    }

    /// <summary>A k-way merge of sorted inputs; disposes them when done.</summary>
    private static IEnumerable<(long Key, long Value)> Merge(List<IEnumerator<(long Key, long Value)>> inputs)
    {
        var heads = new PriorityQueue<int, long>();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].MoveNext())
                {
                    heads.Enqueue(i, inputs[i].Current.Key);
                }
            }
            while (heads.TryDequeue(out int i, out _))
            {
                yield return inputs[i].Current;
                if (inputs[i].MoveNext())
                {
                    heads.Enqueue(i, inputs[i].Current.Key);
                }
            }
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var run in _runs)
        {
            run.Dispose();
        }
        _runs.Clear();
    }
}
