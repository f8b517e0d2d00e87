using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// Several engine calls reach the cache at once (the data calls hold the volume lock only shared). A
/// call that holds a window across a wait of the cache's lock pins it: here a read spanning two windows
/// has gathered the first one's missing blocks and waits for another reader's load of the second,
/// while a third caller reads enough other windows to evict every unpinned one. Unpinned, the first
/// window would go back to the pool, another window would take its memory, and the waiting read's
/// store read would land in that window's bytes.
/// </summary>
public class ConcurrentCallerTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const int Blocks = 2048;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private PausableBlockStore _store = null!;
    private ExtentCache _cache = null!;
    private byte[] _image = null!;

    /// <summary>A cache of 32 windows over a store whose every block holds bytes of its own.</summary>
    [SetUp]
    public void CreateCache()
    {
        _image = new byte[BlockSize * Blocks];
        for (int b = 0; b < Blocks; b++)
        {
            _image.AsSpan(b * BlockSize, BlockSize).Fill((byte)(b % 251 + 1));
        }
        _store = new PausableBlockStore(BlockSize, Blocks, (byte[])_image.Clone());
        _cache = new ExtentCache(_store, 32L * WindowBytes, WindowBytes, NullLogger.Instance, background: false);
    }

    [TearDown]
    public void DisposeCache()
    {
        _store.Release();
        _cache.Dispose();
        _store.Dispose();
    }

    private byte[] Expected(long physicalByte, int length) => _image.AsSpan((int)physicalByte, length).ToArray();

    /// <summary>Starts <paramref name="call"/> on a thread of its own and returns once that thread waits.</summary>
    private static Thread StartWaiting(Action call)
    {
        var thread = new Thread(() => call()) { IsBackground = true };
        thread.Start();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (thread.IsAlive && (thread.ThreadState & ThreadState.WaitSleepJoin) == 0 && watch.Elapsed < Long)
        {
            Thread.Sleep(1);
        }
        return thread;
    }

    [Test]
    public void AWindowAReadHoldsAcrossAWaitSurvivesOtherCallersEvictions()
    {
        // Another reader has reserved the first block of window 1 and is reading it, held in the store.
        var load = new ReadLoad(firstAttempt: true);
        _cache.TryRead(WindowBytes, new byte[BlockSize], ino: 1, logicalBlock: 16, load);
        Assert.That(load.IsEmpty, Is.False);
        _store.HoldNextRead();
        var loader = new Thread(() => _cache.Load(load)) { IsBackground = true };
        loader.Start();
        Assert.That(_store.WaitUntilHeld(Long), Is.True, "the other reader's load reached the store");

        // A read of window 0 and that block: it gathers window 0's blocks, then waits for the load.
        int length = WindowBytes + BlockSize;
        var read = new byte[length];
        var reader = StartWaiting(() => _cache.Read(0, read, ino: 2, logicalBlock: 0));
        Assert.That(reader.IsAlive, Is.True, "the spanning read waits for the other reader's load");

        // A third caller reads 40 other windows through a cache of 32.
        for (int w = 2; w < 42; w++)
        {
            var got = new byte[BlockSize];
            _cache.Read((long)w * WindowBytes, got, ino: 3, logicalBlock: w * 16);
            Assert.That(got, Is.EqualTo(Expected((long)w * WindowBytes, BlockSize)), $"window {w}");
        }

        _store.Release();
        Assert.That(loader.Join(Long), Is.True);
        Assert.That(reader.Join(Long), Is.True, "the spanning read finished once the load landed");
        Assert.That(read, Is.EqualTo(Expected(0, length)), "the spanning read's bytes");
        for (int w = 12; w < 42; w++)
        {
            var got = new byte[BlockSize];
            _cache.Read((long)w * WindowBytes, got, ino: 3, logicalBlock: w * 16);
            Assert.That(got, Is.EqualTo(Expected((long)w * WindowBytes, BlockSize)), $"window {w} kept its bytes: no late read landed in its memory");
        }
    }
}
