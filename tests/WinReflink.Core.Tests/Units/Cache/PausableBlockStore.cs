using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// A block store in memory for the background writer's tests: safe to call from two threads, it
/// records which thread wrote each block, can hold writes of chosen blocks until released (to open a
/// race window on purpose), and can fail writes.
/// </summary>
internal sealed class PausableBlockStore : BlockStore
{
    private readonly byte[] _data;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _release = new(true);
    private readonly ManualResetEventSlim _held = new(false);
    private long _holdBlock = -1;

    public PausableBlockStore(int blockSize, long capacityBlocks)
        : base(blockSize, capacityBlocks)
    {
        _data = new byte[checked((int)(blockSize * capacityBlocks))];
    }

    /// <summary>Names of the threads that wrote, one per write call.</summary>
    public List<string?> WriterThreads { get; } = new();

    /// <summary>When set, every write fails with this message.</summary>
    public string? FailWrites { get; set; }

    /// <summary>The next write that covers <paramref name="block"/> waits, once it has started, until <see cref="Release"/>.</summary>
    public void HoldWritesOf(long block)
    {
        lock (_gate)
        {
            _holdBlock = block;
            _held.Reset();
            _release.Reset();
        }
    }

    /// <summary>Waits until a held write has started (and is waiting); false on timeout.</summary>
    public bool WaitUntilHeld(TimeSpan timeout) => _held.Wait(timeout);

    public void Release() => _release.Set();

    public byte[] BlockBytes(long block)
    {
        lock (_gate)
        {
            return _data.AsSpan((int)(block * BlockSize), BlockSize).ToArray();
        }
    }

    public override void Flush()
    {
    }

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        lock (_gate)
        {
            _data.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long first = offset / BlockSize;
        long count = buffers.Sum(b => (long)b.Length) / BlockSize;
        bool hold;
        lock (_gate)
        {
            WriterThreads.Add(Thread.CurrentThread.Name);
            if (FailWrites != null)
            {
                throw new IOException(FailWrites);
            }
            hold = _holdBlock >= first && _holdBlock < first + count;
            if (hold)
            {
                _holdBlock = -1;
            }
        }
        // The bytes are taken before the wait, as a disk has them once the request is issued.
        var copies = buffers.Select(b => b.ToArray()).ToList();
        if (hold)
        {
            _held.Set();
            _release.Wait();
        }
        lock (_gate)
        {
            long at = offset;
            foreach (var copy in copies)
            {
                copy.CopyTo(_data.AsSpan((int)at));
                at += copy.Length;
            }
        }
    }

    public override void Dispose()
    {
        _release.Dispose();
        _held.Dispose();
        base.Dispose();
    }
}
