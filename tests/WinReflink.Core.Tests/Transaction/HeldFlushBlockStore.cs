using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Transaction;

/// <summary>
/// A crash-image block store whose next flush, or next write of a chosen block, can be held (to keep
/// a commit in the middle of its write while the test acts), and then let through or cut as by a
/// power failure. A held write reads its buffers once released, as a slow pwrite would.
/// </summary>
internal sealed class HeldFlushBlockStore : CrashingBlockStore
{
    private readonly ManualResetEventSlim _held = new(false);
    private readonly ManualResetEventSlim _release = new(true);
    private volatile bool _holdNext;
    private long _holdBlock = -1;
    private volatile bool _cut;

    public HeldFlushBlockStore(CrashImage image)
        : base(image, image.BlockSize, image.CapacityBlocks)
    {
    }

    /// <summary>The next flush waits, once started, until <see cref="Release"/>.</summary>
    public void HoldNextFlush()
    {
        _held.Reset();
        _release.Reset();
        _holdNext = true;
    }

    /// <summary>The next write that covers <paramref name="block"/> waits, once started, until <see cref="Release"/>.</summary>
    public void HoldNextWriteOf(long block)
    {
        _held.Reset();
        _release.Reset();
        Interlocked.Exchange(ref _holdBlock, block);
    }

    /// <summary>Waits until a held flush or write has started; false on timeout.</summary>
    public bool WaitUntilHeld() => _held.Wait(TimeSpan.FromSeconds(30));

    /// <summary>Lets the held flush go on; with <paramref name="cut"/> it fails as the power does, and so does every later one.</summary>
    public void Release(bool cut = false)
    {
        _cut = cut;
        _release.Set();
    }

    public override void Flush()
    {
        if (_holdNext)
        {
            _holdNext = false;
            _held.Set();
            _release.Wait();
        }
        if (_cut)
        {
            throw new IOException("power cut");
        }
        base.Flush();
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long first = offset / BlockSize;
        long blocks = buffers.Sum(b => (long)b.Length) / BlockSize;
        long hold = Interlocked.Read(ref _holdBlock);
        if (hold >= first && hold < first + blocks && Interlocked.CompareExchange(ref _holdBlock, -1, hold) == hold)
        {
            _held.Set();
            _release.Wait();
        }
        base.WriteCore(offset, buffers);
    }

    public override void Dispose()
    {
        _held.Dispose();
        _release.Dispose();
        base.Dispose();
    }
}
