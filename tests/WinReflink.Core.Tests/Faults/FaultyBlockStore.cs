using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Faults;

/// <summary>Where a fault is injected: a write to the data file, the flush that makes writes durable, or a read.</summary>
public enum FaultSite
{
    Write,
    Flush,
    Read,
}

/// <summary>
/// The real data file with injected failures: the <see cref="FailAt"/>-th call at <see cref="Site"/>
/// (and the <see cref="FailTimes"/> - 1 calls after it) throws an IOException as the host would for
/// EIO or ENOSPC, and writes nothing. Calls are counted so
/// a first run without a fault tells how many points a scenario has.
/// </summary>
internal sealed class FaultyBlockStore : BlockStore
{
    private readonly FileBlockStore _inner;
    private readonly Lock _gate = new();

    public FaultyBlockStore(string dataImage, int blockSize, long capacityBlocks)
        : base(blockSize, capacityBlocks)
    {
        _inner = new FileBlockStore(dataImage, blockSize, capacityBlocks, NullLogger.Instance);
    }

    public FaultSite Site { get; init; }
    /// <summary>1-based index of the failing call; 0 injects nothing.</summary>
    public int FailAt { get; init; }
    /// <summary>How many calls from <see cref="FailAt"/> on fail (a bad sector fails every read of it).</summary>
    public int FailTimes { get; init; } = 1;
    public string Error { get; init; } = "Input/output error";
    public int Writes { get; private set; }
    public int Flushes { get; private set; }
    public int Reads { get; private set; }
    public bool Fired { get; private set; }

    public override void Flush()
    {
        Hit(FaultSite.Flush, () => ++Flushes);
        _inner.Flush();
    }

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        Hit(FaultSite.Read, () => ++Reads);
        _inner.Read(offset / BlockSize, destination);
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        Hit(FaultSite.Write, () => ++Writes);
        _inner.Write(offset / BlockSize, buffers);
    }

    /// <summary>Counts the call (the engine's background writer calls from a thread of its own) and fails it if it is the chosen one.</summary>
    private void Hit(FaultSite site, Func<int> count)
    {
        int n;
        lock (_gate)
        {
            n = count();
            if (Fails(site, n))
            {
                Fired = true;
            }
        }
        if (Fails(site, n))
        {
            throw new IOException($"{Error} (injected at {site.ToString().ToLowerInvariant()} #{n})");
        }
    }

    private bool Fails(FaultSite site, int n) => site == Site && FailAt > 0 && n >= FailAt && n < FailAt + FailTimes;

    public override void Dispose()
    {
        _inner.Dispose();
        base.Dispose();
    }
}
