using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// The ExtentCache's content index: a block is found by its bytes exactly while it is cached clean
/// and valid (after a load or a write-back), never while dirty, and not after it is rewritten,
/// discarded or evicted; a hash that collides never yields a block whose bytes differ; the index
/// never holds more blocks than the cache. Every test ends with the index's own invariant check.
/// </summary>
public class ContentIndexTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const long StoreBlocks = 64 * ExtentCache.WindowBlocks;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private PausableBlockStore _store = null!;
    private ExtentCache? _cache;

    /// <summary>A store whose every block holds bytes no other block holds.</summary>
    [SetUp]
    public void CreateStore()
    {
        var image = new byte[StoreBlocks * BlockSize];
        for (long b = 0; b < StoreBlocks; b++)
        {
            Pattern(b).CopyTo(image.AsSpan((int)(b * BlockSize)));
        }
        _store = new PausableBlockStore(BlockSize, StoreBlocks, image);
    }

    [TearDown]
    public void DisposeCacheAndStore()
    {
        _store.Release();
        _cache?.Dispose();
        _store.Dispose();
    }

    /// <summary>The bytes block <paramref name="block"/> of the store starts with.</summary>
    private static byte[] Pattern(long block)
    {
        var bytes = new byte[BlockSize];
        new Random((int)block + 1).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Filled(byte value)
    {
        var bytes = new byte[BlockSize];
        Array.Fill(bytes, value);
        return bytes;
    }

    private ExtentCache NewCache(long windows = 16, BlockHasher? hash = null, bool background = false) =>
        _cache = new ExtentCache(_store, windows * WindowBytes, 4L * WindowBytes, NullLogger.Instance, background, hash);

    private static void ReadBlocks(ExtentCache cache, long block, int count) =>
        cache.Read(block * BlockSize, new byte[count * BlockSize], ino: 1, logicalBlock: block);

    /// <summary>A read's first pass over cold blocks: they are reserved for a load outside the lock, not read.</summary>
    private static ReadLoad ReserveLoad(ExtentCache cache, long block, int count)
    {
        var load = new ReadLoad(firstAttempt: true);
        cache.TryRead(block * BlockSize, new byte[count * BlockSize], ino: 1, logicalBlock: block, load);
        return load;
    }

    /// <summary>
    /// A write that gives the hashes of the whole blocks it writes (copy recognition computed them for
    /// its lookup) has them kept with the dirty blocks: write-back indexes those without hashing again,
    /// and hashes only the blocks written without one (here the partial one). A later write without a
    /// hash drops the kept one, so its block is hashed again from its new bytes.
    /// </summary>
    [Test]
    public void HashesGivenWithAWriteSpareWriteBackHashingThoseBlocks()
    {
        int hashed = 0;
        var cache = NewCache(hash: block => { Interlocked.Increment(ref hashed); return ContentIndex.XxHash3(block); });
        var bytes = new byte[4 * BlockSize + 100];
        new Random(5).NextBytes(bytes);
        var hashes = new ulong[4];
        for (int i = 0; i < 4; i++)
        {
            hashes[i] = ContentIndex.XxHash3(bytes.AsSpan(i * BlockSize, BlockSize));
        }
        cache.Write(100 * BlockSize, bytes, ino: 1, logicalBlock: 100, fresh: true, hashes);
        int before = hashed;
        cache.FlushDirty();
        Assert.That(hashed - before, Is.EqualTo(1), "only the partial fifth block is hashed by write-back");
        Assert.That(cache.FindEqual(bytes.AsSpan(2 * BlockSize, BlockSize)), Is.EqualTo(102));
        cache.CheckContentIndex();

        var other = Filled(7);
        cache.Write(101 * BlockSize, other, ino: 1, logicalBlock: 101, fresh: false);
        cache.FlushDirty();
        Assert.That(cache.FindEqual(other), Is.EqualTo(101), "rewritten without a hash: hashed from its new bytes");
        Assert.That(cache.FindEqual(bytes.AsSpan(BlockSize, BlockSize)), Is.EqualTo(-1));
        cache.CheckContentIndex();
    }

    [Test]
    public void WithoutTheIndexNothingIsHashed()
    {
        int hashed = 0;
        _cache = new ExtentCache(_store, 16 * WindowBytes, 4L * WindowBytes, NullLogger.Instance, background: false,
            block => { Interlocked.Increment(ref hashed); return ContentIndex.XxHash3(block); }, contentIndex: false);
        int atStart = hashed;
        ReadBlocks(_cache, 2, 40);
        _cache.Write(200 * BlockSize, Filled(3), ino: 1, logicalBlock: 200, fresh: true);
        _cache.FlushDirty();
        Assert.That(hashed, Is.EqualTo(atStart), "reads and write-back hash nothing");
        Assert.That(_cache.Statistics().IndexedBlocks, Is.Zero);
        Assert.That(_cache.FindEqual(Pattern(3)), Is.EqualTo(-1));
        _cache.CheckContentIndex();
    }

    [Test]
    public void ABlockReadFromTheStoreIsFoundByItsBytes()
    {
        var cache = NewCache();
        Assert.That(cache.FindEqual(Pattern(3)), Is.EqualTo(-1), "nothing is cached yet");
        ReadBlocks(cache, 2, 3);
        Assert.That(cache.FindEqual(Pattern(3)), Is.EqualTo(3));
        Assert.That(cache.FindEqual(Pattern(5)), Is.EqualTo(-1), "block 5 was not read");
        Assert.That(cache.Statistics().IndexedBlocks, Is.EqualTo(3));
        Assert.That(cache.Statistics().IndexBytes, Is.Positive);
        cache.CheckContentIndex();
    }

    [Test]
    public void BlocksOfAReadSpanningWindowsAreIndexed()
    {
        var cache = NewCache();
        // Three windows: read together with one scatter read per contiguous run.
        ReadBlocks(cache, 10, 40);
        Assert.That(cache.Statistics().IndexedBlocks, Is.EqualTo(40));
        Assert.That(cache.FindEqual(Pattern(10)), Is.EqualTo(10));
        Assert.That(cache.FindEqual(Pattern(49)), Is.EqualTo(49));
        cache.CheckContentIndex();
    }

    [Test]
    public void BlocksLoadedOutsideTheLockAreIndexedWhenTheyLand()
    {
        var cache = NewCache();
        var load = ReserveLoad(cache, 20, 2);
        Assert.That(cache.FindEqual(Pattern(20)), Is.EqualTo(-1), "reserved, not loaded: not valid yet");
        cache.Load(load);
        Assert.That(cache.FindEqual(Pattern(20)), Is.EqualTo(20));
        Assert.That(cache.FindEqual(Pattern(21)), Is.EqualTo(21));
        cache.CheckContentIndex();
    }

    [Test]
    public void ABlockDiscardedWhileItLoadsIsNotIndexed()
    {
        var cache = NewCache();
        var load = ReserveLoad(cache, 20, 2);
        cache.Discard(21, 1);
        cache.Load(load);
        Assert.That(cache.FindEqual(Pattern(20)), Is.EqualTo(20));
        Assert.That(cache.FindEqual(Pattern(21)), Is.EqualTo(-1), "superseded: its old bytes never became valid");
        cache.CheckContentIndex();
    }

    [Test]
    public void AFailedLoadIndexesNothing()
    {
        var cache = NewCache();
        var load = ReserveLoad(cache, 20, 2);
        _store.FailReads = "injected";
        Assert.Throws<BlockReadException>(() => cache.Load(load));
        Assert.That(cache.Statistics().IndexedBlocks, Is.Zero);
        Assert.That(cache.FindEqual(Pattern(20)), Is.EqualTo(-1));
        cache.CheckContentIndex();
    }

    [Test]
    public void AFailedBatchIndexesNothing()
    {
        var cache = NewCache();
        var data = Filled(0x77);
        cache.Write(6 * BlockSize, data, ino: 1, logicalBlock: 6, fresh: true);
        var batch = cache.TakeDirty();
        _store.FailWrites = "injected";
        Assert.Throws<IOException>(() => cache.WriteTaken(batch));
        Assert.That(cache.FindEqual(data), Is.EqualTo(-1), "still dirty: the store never got these bytes");
        cache.CheckContentIndex();
    }

    [Test]
    public void AWrittenBlockIsIndexedOnlyOnceWrittenBack()
    {
        var cache = NewCache();
        var data = Filled(0x5A);
        cache.Write(7 * BlockSize, data, ino: 1, logicalBlock: 7, fresh: true);
        Assert.That(cache.FindEqual(data), Is.EqualTo(-1), "dirty: the store does not hold these bytes yet");
        Assert.That(cache.Statistics().IndexedBlocks, Is.Zero);
        cache.CheckContentIndex();
        cache.FlushDirty();
        Assert.That(cache.FindEqual(data), Is.EqualTo(7));
        cache.CheckContentIndex();
    }

    [Test]
    public void ACommitsBatchIndexesWhatItWroteButNotWhatWasWrittenAgainMeanwhile()
    {
        var cache = NewCache();
        var first = Filled(1);
        var second = Filled(2);
        var again = Filled(3);
        cache.Write(4 * BlockSize, first, ino: 1, logicalBlock: 4, fresh: true);
        cache.Write(5 * BlockSize, second, ino: 1, logicalBlock: 5, fresh: true);
        var batch = cache.TakeDirty();
        _store.HoldWritesOf(5);
        var writing = Task.Run(() => cache.WriteTaken(batch));
        Assert.That(_store.WaitUntilHeld(Patience), Is.True, "the batch's write has started");
        cache.Write(5 * BlockSize, again, ino: 1, logicalBlock: 5, fresh: false);
        _store.Release();
        Assert.That(writing.Wait(Patience), Is.True);
        Assert.That(cache.FindEqual(first), Is.EqualTo(4), "written and not touched since: clean");
        Assert.That(cache.FindEqual(second), Is.EqualTo(-1), "block 5 holds other bytes now");
        Assert.That(cache.FindEqual(again), Is.EqualTo(-1), "block 5 was written again: dirty until the next write-back");
        cache.CheckContentIndex();
    }

    [Test]
    public void TheBackgroundWriterIndexesTheBlocksItCleans()
    {
        // A dirty limit of 4 windows: the writer starts at 16 dirty blocks and stops at 4.
        var cache = NewCache(background: true);
        for (int b = 0; b < 32; b++)
        {
            cache.Write(b * BlockSize, Filled((byte)(b + 1)), ino: 1, logicalBlock: b, fresh: true);
        }
        var deadline = DateTime.UtcNow + Patience;
        while (cache.DirtyBytes > 8 * BlockSize && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.That(cache.DirtyBytes, Is.LessThanOrEqualTo(8 * BlockSize), "the writer ran");
        var stats = cache.Statistics();
        Assert.That(stats.IndexedBlocks, Is.EqualTo(32 - stats.DirtyBytes / BlockSize), "every clean block is indexed, no dirty one");
        Assert.That(cache.FindEqual(Filled(1)), Is.EqualTo(0), "the writer goes in physical order: block 0 is among the first cleaned");
        cache.CheckContentIndex();
    }

    [Test]
    public void RewritingACleanBlockTakesItOut()
    {
        var cache = NewCache();
        ReadBlocks(cache, 8, 2);
        // Three bytes of the cached block: it is dirty, with other bytes.
        cache.Write(8 * BlockSize + 100, new byte[] { 1, 2, 3 }, ino: 1, logicalBlock: 8, fresh: false);
        Assert.That(cache.FindEqual(Pattern(8)), Is.EqualTo(-1), "its bytes changed");
        Assert.That(cache.FindEqual(Pattern(9)), Is.EqualTo(9), "its neighbour did not");
        cache.FlushDirty();
        var now = Pattern(8);
        now[100] = 1;
        now[101] = 2;
        now[102] = 3;
        Assert.That(cache.FindEqual(now), Is.EqualTo(8), "written back: indexed with its new bytes");
        cache.CheckContentIndex();
    }

    [Test]
    public void ADiscardedBlockIsNotFound()
    {
        var cache = NewCache();
        ReadBlocks(cache, 30, 4);
        cache.Discard(31, 2);
        Assert.That(cache.FindEqual(Pattern(31)), Is.EqualTo(-1));
        Assert.That(cache.FindEqual(Pattern(32)), Is.EqualTo(-1));
        Assert.That(cache.FindEqual(Pattern(33)), Is.EqualTo(33));
        Assert.That(cache.Statistics().IndexedBlocks, Is.EqualTo(2));
        cache.CheckContentIndex();
    }

    [Test]
    public void AnEvictedBlockIsNotFound()
    {
        var cache = NewCache(windows: 4);
        ReadBlocks(cache, 0, 1);
        for (long w = 1; w <= 8; w++)
        {
            ReadBlocks(cache, w * ExtentCache.WindowBlocks, 1);
        }
        Assert.That(cache.FindEqual(Pattern(0)), Is.EqualTo(-1), "window 0 was the least recently used");
        Assert.That(cache.FindEqual(Pattern(8 * ExtentCache.WindowBlocks)), Is.EqualTo(8 * ExtentCache.WindowBlocks));
        cache.CheckContentIndex();
    }

    [Test]
    public void TheIndexNeverHoldsMoreBlocksThanTheCache()
    {
        var cache = NewCache(windows: 4);
        for (long w = 0; w < StoreBlocks / ExtentCache.WindowBlocks; w++)
        {
            ReadBlocks(cache, w * ExtentCache.WindowBlocks, ExtentCache.WindowBlocks);
            var stats = cache.Statistics();
            Assert.That(stats.IndexedBlocks, Is.LessThanOrEqualTo(stats.CachedBytes / BlockSize));
        }
        var end = cache.Statistics();
        Assert.That(end.IndexedBlocks, Is.EqualTo(4 * ExtentCache.WindowBlocks), "the four windows the cache holds, all clean");
        cache.CheckContentIndex();
    }

    [Test]
    public void ACollidingHashNeverYieldsBlocksWithOtherBytes()
    {
        // Every block hashes alike: only the byte compare tells them apart.
        var cache = NewCache(hash: _ => 42);
        ReadBlocks(cache, 0, 16);
        Assert.That(cache.Statistics().IndexedBlocks, Is.EqualTo(ContentIndex.MaxBlocksPerHash), "a hash keeps a bounded number of blocks");
        for (long b = 0; b < 16; b++)
        {
            long found = cache.FindEqual(Pattern(b));
            Assert.That(found, Is.EqualTo(b < ContentIndex.MaxBlocksPerHash ? b : -1), $"block {b}");
        }
        Assert.That(cache.FindEqual(Filled(9)), Is.EqualTo(-1), "bytes cached nowhere, with a hash that matches every block");
        // Leaving frees a place under the hash for the next block that becomes clean.
        cache.Discard(0, 1);
        ReadBlocks(cache, 16, 1);
        Assert.That(cache.FindEqual(Pattern(16)), Is.EqualTo(16));
        cache.CheckContentIndex();
    }

    [Test]
    public void ARunFollowsTheSourceAcrossWindowsAsFarAsItsBytesMatch()
    {
        var cache = NewCache();
        ReadBlocks(cache, 10, 40);
        var input = new byte[30 * BlockSize];
        for (int i = 0; i < 25; i++)
        {
            Pattern(12 + i).CopyTo(input, i * BlockSize);
        }
        // The 26th input block differs from block 37: the run stops there.
        Assert.That(cache.FindRun(input), Is.EqualTo((12L, 25)));
        Assert.That(cache.FindRun(input.AsSpan(0, 4 * BlockSize)), Is.EqualTo((12L, 4)), "the whole input matches");
        Assert.That(cache.FindRun(input.AsSpan(25 * BlockSize)), Is.EqualTo((-1L, 0)), "no cached block holds zeros");
    }

    [Test]
    public void ARunStopsAtABlockThatIsNotCachedAndPicksTheLongestCandidate()
    {
        var cache = NewCache();
        // Blocks 100..102 repeat 10..12, then 103 differs; block 12 leaves the cache.
        for (int i = 0; i < 3; i++)
        {
            cache.Write((100 + i) * BlockSize, Pattern(10 + i), ino: 2, logicalBlock: i, fresh: true);
        }
        cache.FlushDirty();
        ReadBlocks(cache, 10, 6);
        cache.Discard(12, 1);
        var input = new byte[4 * BlockSize];
        for (int i = 0; i < 4; i++)
        {
            Pattern(10 + i).CopyTo(input, i * BlockSize);
        }
        Assert.That(cache.FindRun(input), Is.EqualTo((100L, 3)), "blocks 10..13 held these bytes, but 12 is gone: 100..102 is the longer run");

        // Written back whole and dirty, block 12 holds the bytes again: the run goes on over it (the
        // write that shares it holds what keeps its bytes, Data/CopyRecognizer.cs).
        cache.Write(12 * BlockSize, Pattern(12), ino: 1, logicalBlock: 12, fresh: true);
        Assert.That(cache.FindRun(input), Is.EqualTo((10L, 4)));
        cache.CheckContentIndex();
    }

    [Test]
    public void TheRunFormTakesWholeBlocksOnly()
    {
        var cache = NewCache();
        Assert.Throws<ArgumentException>(() => cache.FindRun(new byte[BlockSize + 1]));
        Assert.Throws<ArgumentException>(() => cache.FindRun(Array.Empty<byte>()));
    }
}
