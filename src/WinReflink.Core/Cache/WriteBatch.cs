namespace WinReflink.Core.Cache;

/// <summary>
/// Dirty blocks on their way to the data file: the gathered writes (physical block, the window
/// slices to write there, in the store's shape) and, for a batch written outside every lock, the
/// windows they came from with the blocks taken (their InFlight mask).
/// </summary>
internal sealed class WriteBatch
{
    /// <summary>Buffers in one gathered write, well under the kernel's IOV_MAX of 1024.</summary>
    private const int MaxPiecesPerWrite = 512;

    private readonly int _blockSize;
    private List<ReadOnlyMemory<byte>>? _last;
    private long _lastEnd = -1;
    private long _lastBytes;

    public WriteBatch(int blockSize)
    {
        _blockSize = blockSize;
    }

    public List<(long Block, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> Runs { get; } = new();
    public List<(CacheEntry Entry, ulong Mask)> Entries { get; } = new();

    /// <summary>The hashes of <see cref="Entries"/>' blocks, by entry, taken once the batch is written (ExtentCache.Content.cs).</summary>
    public WindowHashes[]? Hashes { get; set; }

    /// <summary>By entry, the blocks taken whose hashes their window already knew (<see cref="CacheEntry.HashKnown"/>): nobody hashes those again.</summary>
    public List<ulong> Known { get; } = new();

    /// <summary>Whether some block taken has no known hash, so the batch must hash while it is written.</summary>
    public bool HashesUnknown { get; private set; }

    /// <summary>Records, for the entry just added, which of its <paramref name="taken"/> blocks have known hashes.</summary>
    public void AddKnownHashes(ulong known, ulong taken)
    {
        Known.Add(known);
        HashesUnknown |= (taken & ~known) != 0;
    }

    /// <summary>
    /// Adds whole blocks to write at <paramref name="block"/>: to the last write when they continue it
    /// physically and it has room (<see cref="ExtentCache.MaxGatherBytes"/>, <see cref="MaxPiecesPerWrite"/>), else as a new one.
    /// </summary>
    public void Add(long block, ReadOnlyMemory<byte> blocks)
    {
        if (_last == null || block != _lastEnd || _lastBytes >= ExtentCache.MaxGatherBytes || _last.Count >= MaxPiecesPerWrite)
        {
            _last = new List<ReadOnlyMemory<byte>>();
            _lastBytes = 0;
            Runs.Add((block, _last));
        }
        _last.Add(blocks);
        _lastBytes += blocks.Length;
        _lastEnd = block + blocks.Length / _blockSize;
    }
}
