using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// A block store in memory for the background writer's and the unlocked reads' tests: safe to call
/// from several threads, it records which thread wrote each block and every read, can hold a write of
/// a chosen block or the next read until released (to open a race window on purpose), and can fail
/// writes or reads. Its bytes can outlive it, so a volume reopened over them starts with a cold cache.
/// </summary>
internal sealed class PausableBlockStore : BlockStore
{
    private readonly byte[] _data;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _release = new(true);
    private readonly ManualResetEventSlim _held = new(false);
    private long _holdBlock = -1;
    private bool _holdRead;

    public PausableBlockStore(int blockSize, long capacityBlocks)
        : this(blockSize, capacityBlocks, new byte[checked((int)(blockSize * capacityBlocks))])
    {
    }

    /// <summary>A store over <paramref name="data"/>, which holds what an earlier store over it wrote.</summary>
    public PausableBlockStore(int blockSize, long capacityBlocks, byte[] data)
        : base(blockSize, capacityBlocks)
    {
        _data = data;
    }

    /// <summary>Every read call: its first block and its length in blocks (a scatter read is one call).</summary>
    public List<(long Block, long Blocks)> ReadCalls { get; } = new();

    /// <summary>When set, every read fails with this message.</summary>
    public string? FailReads { get; set; }

    /// <summary>The next read waits, once it has started, until <see cref="Release"/>.</summary>
    public void HoldNextRead()
    {
        lock (_gate)
        {
            _holdRead = true;
            _held.Reset();
            _release.Reset();
        }
    }

    /// <summary>The read calls so far that covered <paramref name="block"/>.</summary>
    public int ReadsOf(long block)
    {
        lock (_gate)
        {
            return ReadCalls.Count(r => block >= r.Block && block < r.Block + r.Blocks);
        }
    }

    /// <summary>Names of the threads that wrote, one per write call.</summary>
    public List<string?> WriterThreads { get; } = new();

    /// <summary>When set, a held write reads its buffers only once released, so a buffer reused meanwhile shows on the store.</summary>
    public bool TakeBytesAfterHold { get; set; }

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
        if (StartRead(offset, destination.Length))
        {
            _held.Set();
            _release.Wait();
        }
        lock (_gate)
        {
            _data.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }
    }

    protected override void ReadCore(long offset, IReadOnlyList<Memory<byte>> buffers)
    {
        if (StartRead(offset, buffers.Sum(b => (long)b.Length)))
        {
            _held.Set();
            _release.Wait();
        }
        lock (_gate)
        {
            long at = offset;
            foreach (var b in buffers)
            {
                _data.AsSpan((int)at, b.Length).CopyTo(b.Span);
                at += b.Length;
            }
        }
    }

    /// <summary>Records a read call, fails it if reads fail, and answers whether it is the one to hold.</summary>
    private bool StartRead(long offset, long bytes)
    {
        lock (_gate)
        {
            ReadCalls.Add((offset / BlockSize, bytes / BlockSize));
            if (FailReads != null)
            {
                throw new IOException(FailReads);
            }
            bool hold = _holdRead;
            _holdRead = false;
            return hold;
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
        // The bytes are taken before the wait, as a disk has them once the request is issued, unless
        // the test asks for a write that reads its buffers late (a slow pwrite copying from them).
        var copies = TakeBytesAfterHold ? null : buffers.Select(b => b.ToArray()).ToList();
        if (hold)
        {
            _held.Set();
            _release.Wait();
        }
        copies ??= buffers.Select(b => b.ToArray()).ToList();
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
