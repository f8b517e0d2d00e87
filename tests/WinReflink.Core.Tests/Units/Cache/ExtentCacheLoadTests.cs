using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// The cache's side of reads that load outside the volume lock, driven step by step on one thread:
/// a window being loaded is pinned against eviction, a discard during the load keeps the freed
/// block's old bytes from becoming valid, and an abandoned load leaves nothing behind.
/// </summary>
public class ExtentCacheLoadTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const byte OnDisk = 5;

    private PausableBlockStore _store = null!;
    private ExtentCache _cache = null!;

    /// <summary>A cache of four windows over a store whose every byte is <see cref="OnDisk"/>.</summary>
    [SetUp]
    public void CreateCache()
    {
        var image = new byte[BlockSize * 1024];
        Array.Fill(image, OnDisk);
        _store = new PausableBlockStore(BlockSize, 1024, image);
        _cache = new ExtentCache(_store, 4L * WindowBytes, WindowBytes, NullLogger.Instance, background: false);
    }

    [TearDown]
    public void DisposeCache()
    {
        _cache.Dispose();
        _store.Dispose();
    }

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }

    private ReadLoad Reserve(long physicalByte, byte[] buffer)
    {
        var load = new ReadLoad(firstAttempt: true);
        _cache.TryRead(physicalByte, buffer, ino: 1, logicalBlock: physicalByte / BlockSize, load);
        return load;
    }

    [Test]
    public void AWindowBeingLoadedIsNotEvicted()
    {
        var buffer = new byte[BlockSize];
        var load = Reserve(0, buffer);
        Assert.That(load.IsEmpty, Is.False, "a cold block is reserved, not read");
        Assert.That(_store.ReadCalls, Is.Empty);
        for (int w = 1; w <= 8; w++)
        {
            _cache.Write((long)w * WindowBytes, Filled(BlockSize, 9), ino: 2, logicalBlock: w * ExtentCache.WindowBlocks, fresh: true);
        }
        _cache.Load(load);
        Assert.That(_store.ReadCalls, Has.Count.EqualTo(1));
        var again = Reserve(0, buffer);
        Assert.That(again.IsEmpty, Is.True, "the pinned window outlived eight evictions and holds the loaded block");
        Assert.That(buffer, Is.EqualTo(Filled(BlockSize, OnDisk)));
        Assert.That(_store.ReadCalls, Has.Count.EqualTo(1));
    }

    [Test]
    public void ADiscardDuringALoadKeepsTheOldBytesInvalid()
    {
        var load = Reserve(0, new byte[BlockSize]);
        _cache.Discard(0, 1);
        _cache.Load(load);
        // The freed block is reused: a fresh partial write must zero the rest, not show the old bytes.
        _cache.Write(0, Filled(100, 7), ino: 3, logicalBlock: 0, fresh: true);
        var got = new byte[BlockSize];
        _cache.Read(0, got, ino: 3, logicalBlock: 0);
        Assert.That(got[..100], Is.EqualTo(Filled(100, 7)));
        Assert.That(got[100..], Has.All.EqualTo((byte)0), "no byte of the freed block's old contents");
    }

    [Test]
    public void AnAbandonedLoadLeavesNothingCachedOrPinned()
    {
        var buffer = new byte[BlockSize];
        _cache.Abandon(Reserve(0, buffer));
        Assert.That(_store.ReadCalls, Is.Empty);
        var again = Reserve(0, buffer);
        Assert.That(again.IsEmpty, Is.False, "the block is still missing");
        _cache.Load(again);
        Assert.That(Reserve(0, buffer).IsEmpty, Is.True);
        Assert.That(buffer, Is.EqualTo(Filled(BlockSize, OnDisk)));
    }
}
