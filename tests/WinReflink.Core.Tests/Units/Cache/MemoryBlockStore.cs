using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>A block store in a byte array that records every read and write the cache sends it.</summary>
internal sealed class MemoryBlockStore : BlockStore
{
    private readonly byte[] _data;

    public MemoryBlockStore(int blockSize, long capacityBlocks)
        : base(blockSize, capacityBlocks)
    {
        _data = new byte[checked((int)(blockSize * capacityBlocks))];
    }

    /// <summary>Each read as (first block, block count).</summary>
    public List<(long Block, long Count)> Reads { get; } = new();

    /// <summary>Each write call as (first block, block count, number of gathered buffers).</summary>
    public List<(long Block, long Count, int Buffers)> Writes { get; } = new();

    public int Flushes { get; private set; }

    public Span<byte> Bytes => _data;

    public long BlocksRead => Reads.Sum(r => r.Count);
    public long BlocksWritten => Writes.Sum(w => w.Count);

    /// <summary>Blocks written by any write call, each once per time it was written.</summary>
    public IEnumerable<long> WrittenBlocks() => Writes.SelectMany(w => Enumerable.Range(0, (int)w.Count).Select(i => w.Block + i));

    public override void Flush() => Flushes++;

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        _data.AsSpan((int)offset, destination.Length).CopyTo(destination);
        Reads.Add((offset / BlockSize, destination.Length / BlockSize));
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long at = offset;
        foreach (var b in buffers)
        {
            b.Span.CopyTo(_data.AsSpan((int)at));
            at += b.Length;
        }
        Writes.Add((offset / BlockSize, (at - offset) / BlockSize, buffers.Count));
    }
}
