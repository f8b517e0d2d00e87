using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;

namespace WinReflink.Core.Tests.Units.Cache;

public class ExtentCacheTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const long StoreBlocks = 1024 * ExtentCache.WindowBlocks;

    private MemoryBlockStore _store = null!;

    [SetUp]
    public void FillStore()
    {
        _store = new MemoryBlockStore(BlockSize, StoreBlocks);
        // Every byte of the store differs from zero and from its neighbours' blocks, so a wrong block or
        // a zeroed one is always visible.
        for (long b = 0; b < StoreBlocks; b++)
        {
            Cycle.AsSpan((int)(b * 7 % 251), BlockSize).CopyTo(_store.Bytes.Slice((int)(b * BlockSize), BlockSize));
        }
    }

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    /// <summary>Bytes 1..251 repeating; block b holds it from offset 7b mod 251.</summary>
    private static readonly byte[] Cycle = Enumerable.Range(0, BlockSize + 251).Select(i => (byte)(1 + i % 251)).ToArray();

    private static byte[] StorePattern(long block) => Cycle.AsSpan((int)(block * 7 % 251), BlockSize).ToArray();

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }

    private ExtentCache NewCache(long windows = 64, long dirtyLimitWindows = 16) =>
        new(_store, windows * WindowBytes, dirtyLimitWindows * WindowBytes, NullLogger.Instance, background: false);

    private static byte[] Read(ExtentCache cache, long physicalByte, int length, long ino = 1, long logicalBlock = 0)
    {
        var buffer = new byte[length];
        cache.Read(physicalByte, buffer, ino, logicalBlock);
        return buffer;
    }

    [Test]
    public void ReadsGoThroughToTheStoreOnceAndThenHit()
    {
        using var cache = NewCache();
        // Unaligned, and across a window boundary.
        long at = 3 * WindowBytes - 5000;
        var expected = _store.Bytes.Slice((int)at, 20_000).ToArray();
        SequenceAssert.Bytes(Read(cache, at, 20_000), expected);
        long readsAfterFirst = _store.BlocksRead;
        Assert.That(readsAfterFirst, Is.EqualTo(6), "blocks 46..51 hold the 20,000 bytes");
        SequenceAssert.Bytes(Read(cache, at, 20_000), expected);
        Assert.That(_store.BlocksRead, Is.EqualTo(readsAfterFirst), "the second read is served from memory");
        var stats = cache.Statistics();
        Assert.That(stats.Misses, Is.EqualTo(6));
        Assert.That(stats.Hits, Is.EqualTo(6));
        Assert.That(stats.CachedBytes, Is.EqualTo(6 * BlockSize));
    }

    [Test]
    public void WritesStayInMemoryUntilFlushed()
    {
        using var cache = NewCache();
        var data = Filled(3 * BlockSize, 0xAB);
        cache.Write(10 * BlockSize, data, 1, 0, fresh: false);
        Assert.That(_store.Writes, Is.Empty);
        Assert.That(cache.DirtyBytes, Is.EqualTo(3 * BlockSize));
        SequenceAssert.Bytes(_store.Bytes.Slice(10 * BlockSize, BlockSize), StorePattern(10), "the store still holds the old data");
        SequenceAssert.Bytes(Read(cache, 10 * BlockSize, data.Length), data, "reads see the dirty data");

        cache.FlushDirty();
        Assert.That(_store.WrittenBlocks(), Is.EqualTo(new long[] { 10, 11, 12 }));
        SequenceAssert.Bytes(_store.Bytes.Slice(10 * BlockSize, 3 * BlockSize), data);
        Assert.That(cache.DirtyBytes, Is.Zero);
        cache.FlushDirty();
        Assert.That(_store.Writes, Has.Count.EqualTo(1), "clean data is not written again");
        Assert.That(cache.Statistics().WrittenBackBytes, Is.EqualTo(3 * BlockSize));
    }

    [Test]
    public void PassingTheDirtyLimitWritesBackDownToHalfOfIt()
    {
        using var cache = NewCache(windows: 64, dirtyLimitWindows: 8);
        Assert.That(cache.DirtyLimitBytes, Is.EqualTo(8L * WindowBytes));
        var window = Filled(WindowBytes, 0x5A);
        for (int w = 0; w < 8; w++)
        {
            cache.Write((long)w * WindowBytes, window, 1, w * ExtentCache.WindowBlocks, fresh: false);
        }
        Assert.That(_store.Writes, Is.Empty, "at the limit, not past it: nothing written yet");
        cache.Write(8L * WindowBytes, Filled(BlockSize, 0x5A), 1, 8 * ExtentCache.WindowBlocks, fresh: false);
        Assert.That(_store.Writes, Is.Not.Empty);
        Assert.That(cache.DirtyBytes, Is.LessThanOrEqualTo(cache.DirtyLimitBytes / 2));
        Assert.That(cache.DirtyBytes, Is.GreaterThan(0), "write-back stops at half the limit rather than emptying the cache");
        Assert.That(_store.BlocksWritten + cache.DirtyBytes / BlockSize, Is.EqualTo(8 * ExtentCache.WindowBlocks + 1));
    }

    [Test]
    public void AFullBlockWriteNeverReadsTheStore()
    {
        using var cache = NewCache();
        cache.Write(5 * BlockSize, Filled(4 * BlockSize, 1), 1, 0, fresh: false);
        cache.Write(WindowBytes - BlockSize, Filled(2 * BlockSize, 2), 1, 0, fresh: false);
        Assert.That(_store.Reads, Is.Empty);
        SequenceAssert.Bytes(Read(cache, 5 * BlockSize, 4 * BlockSize), Filled(4 * BlockSize, 1));
        Assert.That(_store.Reads, Is.Empty, "the written blocks are valid in memory");
    }

    [Test]
    public void APartialBlockWriteReadsTheRestOfThatBlockOnly()
    {
        using var cache = NewCache();
        cache.Write(7 * BlockSize + 100, Filled(50, 9), 1, 0, fresh: false);
        Assert.That(_store.Reads, Is.EqualTo(new[] { (7L, 1L) }));
        var expected = StorePattern(7);
        Array.Fill(expected, (byte)9, 100, 50);
        SequenceAssert.Bytes(Read(cache, 7 * BlockSize, BlockSize), expected);
        cache.FlushDirty();
        SequenceAssert.Bytes(_store.Bytes.Slice(7 * BlockSize, BlockSize), expected);
    }

    [Test]
    public void AFreshPartialWriteZeroesTheRestOfTheBlockInsteadOfReading()
    {
        using var cache = NewCache();
        // Blocks 7 and 8: head of 7 and tail of 8 are outside the write.
        cache.Write(7 * BlockSize + 100, Filled(BlockSize, 9), 1, 0, fresh: true);
        Assert.That(_store.Reads, Is.Empty);
        var expected = new byte[2 * BlockSize];
        Array.Fill(expected, (byte)9, 100, BlockSize);
        SequenceAssert.Bytes(Read(cache, 7 * BlockSize, 2 * BlockSize), expected, "no stale store bytes around the write");
        Assert.That(_store.Reads, Is.Empty);
        cache.FlushDirty();
        SequenceAssert.Bytes(_store.Bytes.Slice(7 * BlockSize, 2 * BlockSize), expected);
    }

    [Test]
    public void AFreshWriteKeepsBlocksAlreadyValidInMemory()
    {
        using var cache = NewCache();
        cache.Write(7 * BlockSize, Filled(BlockSize, 3), 1, 0, fresh: true);
        cache.Write(7 * BlockSize + 10, Filled(10, 4), 1, 0, fresh: true);
        var expected = Filled(BlockSize, 3);
        Array.Fill(expected, (byte)4, 10, 10);
        SequenceAssert.Bytes(Read(cache, 7 * BlockSize, BlockSize), expected);
    }

    [Test]
    public void DiscardedDirtyDataIsNeverWritten()
    {
        using var cache = NewCache();
        cache.Write(0, Filled(2 * WindowBytes, 0xEE), 1, 0, fresh: false);
        cache.Discard(4, ExtentCache.WindowBlocks + 4);
        Assert.That(cache.DirtyBytes, Is.EqualTo((2 * ExtentCache.WindowBlocks - (ExtentCache.WindowBlocks + 4)) * (long)BlockSize));
        cache.FlushDirty();
        var written = _store.WrittenBlocks().ToList();
        Assert.That(written, Is.EquivalentTo(Enumerable.Range(0, 4).Concat(Enumerable.Range(ExtentCache.WindowBlocks + 8, ExtentCache.WindowBlocks - 8)).Select(b => (long)b)));
        SequenceAssert.Bytes(_store.Bytes.Slice(4 * BlockSize, BlockSize), StorePattern(4));
        SequenceAssert.Bytes(Read(cache, 5 * BlockSize, BlockSize), StorePattern(5), "a discarded block is read from the store again");
    }

    [Test]
    public void DiscardedDirtyDataIsNotWrittenByEvictionEither()
    {
        using var cache = NewCache(windows: 4, dirtyLimitWindows: 2);
        cache.Write(0, Filled(WindowBytes, 0xEE), 1, 0, fresh: false);
        cache.Discard(0, ExtentCache.WindowBlocks);
        for (int w = 1; w < 20; w++)
        {
            Read(cache, (long)w * WindowBytes, BlockSize);
        }
        Assert.That(_store.Writes, Is.Empty);
        SequenceAssert.Bytes(_store.Bytes[..BlockSize], StorePattern(0));
    }

    [Test]
    public void EvictionKeepsTheCacheWithinItsCapacity()
    {
        using var cache = NewCache(windows: 32);
        var rng = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            long window = rng.Next(1024);
            Read(cache, window * WindowBytes + rng.Next(WindowBytes - BlockSize), BlockSize);
            var stats = cache.Statistics();
            Assert.That(stats.Entries, Is.LessThanOrEqualTo(32));
            Assert.That(stats.CachedBytes, Is.LessThanOrEqualTo(cache.CapacityBytes));
        }
        Assert.That(cache.CapacityBytes, Is.EqualTo(32L * WindowBytes));
    }

    [Test]
    public void EvictionTakesCleanWindowsBeforeADirtyOne()
    {
        using var cache = NewCache(windows: 8, dirtyLimitWindows: 4);
        cache.Write(0, Filled(WindowBytes, 0x77), 1, 0, fresh: false);
        for (int w = 1; w <= 20; w++)
        {
            Read(cache, (long)w * WindowBytes, BlockSize);
        }
        Assert.That(cache.DirtyBytes, Is.EqualTo(WindowBytes), "the dirty window stayed: evicting it would have written to disk under the cache's lock");
        Assert.That(_store.Bytes[..WindowBytes].ToArray(), Is.Not.EqualTo(Filled(WindowBytes, 0x77)), "nothing was written");
        SequenceAssert.Bytes(Read(cache, 0, WindowBytes), Filled(WindowBytes, 0x77));
    }

    [Test]
    public void EvictingADirtyWindowWritesItBackFirst()
    {
        using var cache = NewCache(windows: 8, dirtyLimitWindows: 4);
        // One dirty block in each of the eight windows, below the dirty limit: no clean window is left.
        for (int w = 0; w < 8; w++)
        {
            cache.Write((long)w * WindowBytes, Filled(BlockSize, (byte)(0x70 + w)), 1, w * 16, fresh: false);
        }
        for (int w = 8; w <= 20; w++)
        {
            Read(cache, (long)w * WindowBytes, BlockSize);
        }
        Assert.That(cache.DirtyBytes, Is.LessThan(8L * BlockSize), "reads through a cache of dirty windows wrote some back");
        SequenceAssert.Bytes(_store.Bytes[..BlockSize], Filled(BlockSize, 0x70));
        SequenceAssert.Bytes(Read(cache, 0, BlockSize), Filled(BlockSize, 0x70));
    }

    [TestCase(WindowBytes)]
    [TestCase(2 * WindowBytes)]
    [TestCase(BlockSize)]
    public void AWorkingSetUsedTwiceSurvivesAScanLargerThanTheCache(int scanReadSize)
    {
        using var cache = NewCache(windows: 64);
        const int workingSet = 32;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int w = 0; w < workingSet; w++)
            {
                Read(cache, (long)w * WindowBytes, WindowBytes);
            }
        }
        // One sequential pass over 512 other windows (eight times the cache), in reads of the given size.
        for (long at = 256L * WindowBytes; at < 768L * WindowBytes; at += scanReadSize)
        {
            Read(cache, at, scanReadSize, ino: 2, logicalBlock: 0);
        }
        long readsBefore = _store.BlocksRead;
        for (int w = 0; w < workingSet; w++)
        {
            SequenceAssert.Bytes(Read(cache, (long)w * WindowBytes, WindowBytes), _store.Bytes.Slice(w * WindowBytes, WindowBytes));
        }
        Assert.That(_store.BlocksRead - readsBefore, Is.Zero, "the working set was still cached after the scan");
    }

    [Test]
    public void AWorkingSetUsedOnceDoesNotSurviveTheScan()
    {
        // The counterpart of the test above: without a second use, the scan does push the windows out,
        // which shows that the scan is large enough to matter.
        using var cache = NewCache(windows: 64);
        for (int w = 0; w < 32; w++)
        {
            Read(cache, (long)w * WindowBytes, WindowBytes);
        }
        for (long at = 256L * WindowBytes; at < 768L * WindowBytes; at += WindowBytes)
        {
            Read(cache, at, WindowBytes, ino: 2, logicalBlock: 0);
        }
        long readsBefore = _store.BlocksRead;
        for (int w = 0; w < 32; w++)
        {
            Read(cache, (long)w * WindowBytes, WindowBytes);
        }
        Assert.That(_store.BlocksRead - readsBefore, Is.EqualTo(32 * ExtentCache.WindowBlocks));
    }

    [Test]
    public void TwoOwnersOfOneWindowShareItsBuffer()
    {
        using var cache = NewCache();
        long window = 5 * ExtentCache.WindowBlocks;
        var first = Read(cache, window * BlockSize, WindowBytes, ino: 10, logicalBlock: 0);
        var second = Read(cache, window * BlockSize, WindowBytes, ino: 11, logicalBlock: 320);
        SequenceAssert.Bytes(second, first);
        Assert.That(_store.BlocksRead, Is.EqualTo(ExtentCache.WindowBlocks), "the second owner hits the first one's buffer");
        Assert.That(cache.OwnersOf(window + 3), Is.EquivalentTo(new[] { new CacheOwner(10, 0), new CacheOwner(11, 320) }));
        var stats = cache.Statistics();
        Assert.That(stats.CachedBytes, Is.EqualTo(WindowBytes));
        Assert.That(stats.SavedBytes, Is.EqualTo(WindowBytes), "a per-file cache would have held the window twice");
        Assert.That(stats.MaxOwnersPerEntry, Is.EqualTo(2));

        cache.RemoveOwner(11, 320, window, ExtentCache.WindowBlocks);
        Assert.That(cache.OwnersOf(window), Is.EqualTo(new[] { new CacheOwner(10, 0) }));
        Assert.That(cache.Statistics().SavedBytes, Is.Zero);
    }

    [Test]
    public void SavedBytesCountOnlyValidBlocksAndDistinctFiles()
    {
        using var cache = NewCache();
        // One file mapping the window at two places is still one file: nothing saved.
        Read(cache, 0, 3 * BlockSize, ino: 10, logicalBlock: 0);
        Read(cache, 0, 3 * BlockSize, ino: 10, logicalBlock: 100);
        Assert.That(cache.OwnersOf(0), Has.Count.EqualTo(2));
        Assert.That(cache.Statistics().SavedBytes, Is.Zero);
        // Three files over three valid blocks: two extra copies of 3 blocks.
        Read(cache, 0, 3 * BlockSize, ino: 11, logicalBlock: 0);
        Read(cache, 0, 3 * BlockSize, ino: 12, logicalBlock: 0);
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(2 * 3 * BlockSize));
    }

    [Test]
    public void OwnerLogicalBaseIsTheLogicalBlockOfTheWindowStart()
    {
        using var cache = NewCache();
        // Logical block 100 of inode 7 maps physical block 18 (window 16): the window starts at logical 98.
        Read(cache, 18 * BlockSize, 20 * BlockSize, ino: 7, logicalBlock: 100);
        Assert.That(cache.OwnersOf(16), Is.EqualTo(new[] { new CacheOwner(7, 98) }));
        Assert.That(cache.OwnersOf(32), Is.EqualTo(new[] { new CacheOwner(7, 114) }));
    }

    [Test]
    public void ContiguousDirtyWindowsFlushInOneGatherWrite()
    {
        using var cache = NewCache(windows: 64, dirtyLimitWindows: 32);
        for (int w = 10; w < 30; w++)
        {
            cache.Write((long)w * WindowBytes, Filled(WindowBytes, (byte)w), 1, 0, fresh: false);
        }
        cache.Write(40L * WindowBytes, Filled(WindowBytes, 40), 1, 0, fresh: false);
        cache.FlushDirty();
        Assert.That(_store.Writes, Is.EqualTo(new[]
        {
            (10L * ExtentCache.WindowBlocks, 20L * ExtentCache.WindowBlocks, 20),
            (40L * ExtentCache.WindowBlocks, (long)ExtentCache.WindowBlocks, 1),
        }));
        for (int w = 10; w < 30; w++)
        {
            SequenceAssert.Bytes(_store.Bytes.Slice(w * WindowBytes, WindowBytes), Filled(WindowBytes, (byte)w), $"window {w}");
        }
    }

    [Test]
    public void DirtyRunsInsideWindowsSplitTheGatherAtGaps()
    {
        using var cache = NewCache();
        cache.Write(14 * BlockSize, Filled(4 * BlockSize, 1), 1, 0, fresh: false);
        cache.Write(20 * BlockSize, Filled(BlockSize, 2), 1, 0, fresh: false);
        cache.FlushDirty();
        Assert.That(_store.Writes, Is.EqualTo(new[] { (14L, 4L, 2), (20L, 1L, 1) }));
    }
    [Test]
    public void LoneDirtyBlocksOfAValidWindowFlushInOneWriteWithTheCleanBlocksBetween()
    {
        using var cache = NewCache();
        Read(cache, 0, WindowBytes);
        cache.Write(2 * BlockSize, Filled(BlockSize, 1), 1, 2, fresh: false);
        cache.Write(7 * BlockSize, Filled(BlockSize, 2), 1, 7, fresh: false);
        cache.Write(10 * BlockSize, Filled(2 * BlockSize, 3), 1, 10, fresh: false);
        cache.FlushDirty();
        Assert.That(_store.Writes, Is.EqualTo(new[] { (2L, 10L, 1) }));
        SequenceAssert.Bytes(_store.Bytes.Slice(2 * BlockSize, BlockSize), Filled(BlockSize, 1), "block 2");
        SequenceAssert.Bytes(_store.Bytes.Slice(7 * BlockSize, BlockSize), Filled(BlockSize, 2), "block 7");
        SequenceAssert.Bytes(_store.Bytes.Slice(10 * BlockSize, 2 * BlockSize), Filled(2 * BlockSize, 3), "blocks 10-11");
        foreach (long b in new long[] { 3, 4, 5, 6, 8, 9 })
        {
            SequenceAssert.Bytes(_store.Bytes.Slice((int)(b * BlockSize), BlockSize), StorePattern(b), $"clean block {b} rewritten unchanged");
        }
        Assert.That(cache.Statistics().WrittenBackBytes, Is.EqualTo(4L * BlockSize), "only the dirty blocks count as written back");
    }

    [Test]
    public void AGapWiderThanEightBlocksSplitsTheWriteEvenWhenValid()
    {
        using var cache = NewCache();
        Read(cache, 0, WindowBytes);
        cache.Write(0, Filled(BlockSize, 1), 1, 0, fresh: false);
        cache.Write(10 * BlockSize, Filled(BlockSize, 2), 1, 10, fresh: false);
        cache.FlushDirty();
        Assert.That(_store.Writes, Is.EqualTo(new[] { (0L, 1L, 1), (10L, 1L, 1) }));
    }
}
