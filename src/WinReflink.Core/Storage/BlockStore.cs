namespace WinReflink.Core.Storage;

/// <summary>
/// The extent store: fixed-size physical blocks addressed by number. The engine reaches the data
/// file only through this class, so tests can substitute a store that loses unflushed writes.
/// Buffers passed in are aligned to <see cref="Alignment"/> and whole blocks long.
/// </summary>
internal abstract class BlockStore : IDisposable
{
    protected BlockStore(int blockSize, long capacityBlocks)
    {
        BlockSize = blockSize;
        CapacityBlocks = capacityBlocks;
    }

    public const int Alignment = 4096;

    public int BlockSize { get; }
    public long CapacityBlocks { get; }
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    private long _bytesWritten;
    private long _bytesRead;

    /// <summary>A failed read throws <see cref="BlockReadException"/>, so callers can tell it from a failed write.</summary>
    public void Read(long block, Span<byte> destination)
    {
        CheckRange(block, destination.Length);
        try
        {
            ReadCore(block * BlockSize, destination);
        }
        catch (IOException e) when (e is not BlockReadException)
        {
            throw new BlockReadException(block, destination.Length / BlockSize, e);
        }
        Interlocked.Add(ref _bytesRead, destination.Length);
    }

    /// <summary>Reads consecutive blocks into several buffers in one call (a scatter read).</summary>
    public void Read(long block, IReadOnlyList<Memory<byte>> buffers)
    {
        long total = buffers.Sum(b => (long)b.Length);
        CheckRange(block, total);
        try
        {
            ReadCore(block * BlockSize, buffers);
        }
        catch (IOException e) when (e is not BlockReadException)
        {
            throw new BlockReadException(block, total / BlockSize, e);
        }
        Interlocked.Add(ref _bytesRead, total);
    }

    /// <summary>Writes consecutive blocks from several buffers in one call (a gather write).</summary>
    public void Write(long block, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long total = buffers.Sum(b => (long)b.Length);
        CheckRange(block, total);
        WriteCore(block * BlockSize, buffers);
        Interlocked.Add(ref _bytesWritten, total);
    }

    /// <summary>
    /// Writes runs at scattered blocks, each from its buffers gathered, and returns when all have
    /// landed; the runs may land in any order, so they must not overlap. On failure some may have landed.
    /// </summary>
    public void WriteRuns(IReadOnlyList<(long Block, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs)
    {
        var byOffset = new (long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)[runs.Count];
        long total = 0;
        for (int i = 0; i < runs.Count; i++)
        {
            var (block, buffers) = runs[i];
            long bytes = buffers.Sum(b => (long)b.Length);
            CheckRange(block, bytes);
            byOffset[i] = (block * BlockSize, buffers);
            total += bytes;
        }
        WriteRunsCore(byOffset);
        Interlocked.Add(ref _bytesWritten, total);
    }

    /// <summary>One write after another; a store that can have many in flight at once overrides it.</summary>
    protected virtual void WriteRunsCore(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs)
    {
        foreach (var (offset, buffers) in runs)
        {
            WriteCore(offset, buffers);
        }
    }

    /// <summary>Makes every completed write durable.</summary>
    public abstract void Flush();

    protected abstract void ReadCore(long offset, Span<byte> destination);
    protected abstract void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers);

    /// <summary>Stores that can read into several buffers in one call override this.</summary>
    protected virtual void ReadCore(long offset, IReadOnlyList<Memory<byte>> buffers)
    {
        foreach (var b in buffers)
        {
            ReadCore(offset, b.Span);
            offset += b.Length;
        }
    }

    private void CheckRange(long block, long bytes)
    {
        if (block < 0 || bytes % BlockSize != 0 || block + bytes / BlockSize > CapacityBlocks)
        {
            throw new ArgumentOutOfRangeException(nameof(block), $"blocks {block}+{bytes / BlockSize} outside the store of {CapacityBlocks} blocks");
        }
    }

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}
