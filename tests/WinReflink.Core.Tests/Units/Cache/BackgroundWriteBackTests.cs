using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// The ExtentCache's background writer: it writes dirty data on its own thread so writers block only
/// at the dirty limit, and no interleaving of its batch with the engine's writes, discards and
/// flushes loses a newer write. The races are opened on purpose by holding a store write.
/// </summary>
public class BackgroundWriteBackTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const string WriterThread = "WinReflink write-back";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private PausableBlockStore _store = null!;
    private ExtentCache? _cache;

    [SetUp]
    public void CreateStore() => _store = new PausableBlockStore(BlockSize, 4096);

    /// <summary>A held write is released before the cache waits for its writer, so a failed test cannot hang.</summary>
    [TearDown]
    public void DisposeCacheAndStore()
    {
        _store.Release();
        _cache?.Dispose();
        _store.Dispose();
    }

    /// <summary>A 1 MiB dirty limit: the writer starts at 32 dirty blocks and stops at 16.</summary>
    private ExtentCache NewCache() => _cache = new(_store, 512L * WindowBytes, 16L * WindowBytes, NullLogger.Instance, background: true);

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {Patience.TotalSeconds} s waiting for {what}");
            }
            Thread.Sleep(5);
        }
    }

    [Test]
    public void DirtyDataPastTheBackgroundShareIsWrittenByTheWriterThread()
    {
        var cache = NewCache();
        cache.Write(0, Filled(512 << 10, 7), ino: 1, logicalBlock: 0, fresh: true);
        WaitFor(() => cache.DirtyBytes <= 16 * BlockSize, "the writer to bring dirty data down to its stop mark");
        Assert.That(_store.WriterThreads, Is.Not.Empty.And.All.EqualTo(WriterThread), "the engine's thread wrote nothing");
        Assert.That(cache.Statistics().WrittenBackBytes, Is.GreaterThanOrEqualTo((512 << 10) - 16 * BlockSize));
        cache.FlushDirty();
        for (long b = 0; b < 128; b++)
        {
            Assert.That(_store.BlockBytes(b), Is.EqualTo(Filled(BlockSize, 7)), $"block {b}");
        }
    }

    [Test]
    public void AWriterPastTheLimitWaitsForTheBackgroundWriterInsteadOfWriting()
    {
        var cache = NewCache();
        var chunk = new byte[WindowBytes];
        for (int i = 0; i < 128; i++)
        {
            Array.Fill(chunk, (byte)(i + 1));
            cache.Write((long)i * WindowBytes, chunk, ino: 1, logicalBlock: i * ExtentCache.WindowBlocks, fresh: true);
            Assert.That(cache.DirtyBytes, Is.LessThanOrEqualTo(cache.DirtyLimitBytes), $"after write {i}");
        }
        Assert.That(_store.WriterThreads, Is.All.EqualTo(WriterThread), "8 MiB through a 1 MiB limit, all written by the writer");
        cache.FlushDirty();
        for (int i = 0; i < 128; i++)
        {
            Assert.That(_store.BlockBytes((long)i * ExtentCache.WindowBlocks + 3), Is.EqualTo(Filled(BlockSize, (byte)(i + 1))), $"window {i}");
        }
    }

    [Test]
    public void ABlockRewrittenWhileItsCopyIsOnTheWayStaysDirty()
    {
        var cache = NewCache();
        _store.HoldWritesOf(5);
        cache.Write(0, Filled(32 * BlockSize, 1), ino: 1, logicalBlock: 0, fresh: true);
        Assert.That(_store.WaitUntilHeld(Patience), Is.True, "the writer took the batch holding block 5");
        cache.Write(5 * BlockSize, Filled(BlockSize, 2), ino: 1, logicalBlock: 5, fresh: false);
        _store.Release();
        WaitFor(() => cache.DirtyBytes == BlockSize, "the batch to land, leaving only the rewritten block dirty");
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 1)), "the batch wrote the copy it took");
        cache.FlushDirty();
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 2)), "the rewrite reached the store");
        Assert.That(_store.BlockBytes(4), Is.EqualTo(Filled(BlockSize, 1)));
    }

    [Test]
    public void ACleanBlockWrittenWithTheDirtyOnesAroundItThenRewrittenStaysDirty()
    {
        var cache = NewCache();
        cache.Write(0, Filled(WindowBytes, 1), ino: 1, logicalBlock: 0, fresh: true);
        cache.FlushDirty();
        _store.HoldWritesOf(5);
        cache.Write(4 * BlockSize, Filled(BlockSize, 2), ino: 1, logicalBlock: 4, fresh: false);
        cache.Write(6 * BlockSize, Filled(BlockSize, 2), ino: 1, logicalBlock: 6, fresh: false);
        // Past the writer's start mark, so it takes a batch: window 0 goes as blocks 4-6, clean block 5 between.
        cache.Write(32 * BlockSize, Filled(32 * BlockSize, 9), ino: 1, logicalBlock: 32, fresh: true);
        Assert.That(_store.WaitUntilHeld(Patience), Is.True, "the writer took the batch with clean block 5 in it");
        cache.Write(5 * BlockSize, Filled(BlockSize, 3), ino: 1, logicalBlock: 5, fresh: false);
        _store.Release();
        WaitFor(() => cache.DirtyBytes == BlockSize, "the batch to land, leaving only the rewritten block dirty");
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 1)), "the batch wrote the clean copy it took");
        Assert.That(_store.BlockBytes(4), Is.EqualTo(Filled(BlockSize, 2)));
        cache.FlushDirty();
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 3)), "the rewrite reached the store");
    }

    [Test]
    public void AFlushWaitsForTheBatchSoItsStaleCopyCannotLandLast()
    {
        var cache = NewCache();
        _store.HoldWritesOf(5);
        cache.Write(0, Filled(32 * BlockSize, 1), ino: 1, logicalBlock: 0, fresh: true);
        Assert.That(_store.WaitUntilHeld(Patience), Is.True, "the writer took the batch holding block 5");
        // The file lets go of the window and the blocks are used again, all before the old copy lands.
        cache.Discard(0, ExtentCache.WindowBlocks);
        cache.Write(5 * BlockSize, Filled(BlockSize, 3), ino: 2, logicalBlock: 0, fresh: true);
        var flush = Task.Run(cache.FlushDirty);
        Assert.That(flush.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "the flush waits for the batch in flight");
        _store.Release();
        Assert.That(flush.Wait(Patience), Is.True, "the flush finished once the batch landed");
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 3)), "the newer write is on the store, not the stale copy");
    }

    [Test]
    public void AWindowDiscardedWhileItsBatchIsOnTheWayKeepsItsBufferUntilTheBatchLands()
    {
        var cache = NewCache();
        // The batch writes from the windows themselves: a buffer given to another window before the
        // write has read it would put that window's bytes on the discarded window's blocks.
        _store.TakeBytesAfterHold = true;
        _store.HoldWritesOf(5);
        cache.Write(0, Filled(32 * BlockSize, 1), ino: 1, logicalBlock: 0, fresh: true);
        Assert.That(_store.WaitUntilHeld(Patience), Is.True, "the writer took the batch holding block 5");
        cache.Discard(0, ExtentCache.WindowBlocks);
        cache.Write(100L * WindowBytes, Filled(WindowBytes, 4), ino: 2, logicalBlock: 0, fresh: true);
        _store.Release();
        WaitFor(() => cache.DirtyBytes == WindowBytes, "the batch to land, leaving only the new window dirty");
        Assert.That(_store.BlockBytes(5), Is.EqualTo(Filled(BlockSize, 1)), "the discarded window's own bytes, not another window's");
        cache.FlushDirty();
        Assert.That(_store.BlockBytes(100 * ExtentCache.WindowBlocks), Is.EqualTo(Filled(BlockSize, 4)));
    }

    [Test]
    public void AFailedBackgroundWriteFailsTheNextFlushAndKeepsTheDataDirty()
    {
        var cache = NewCache();
        _store.FailWrites = "Input/output error (injected)";
        cache.Write(0, Filled(64 * BlockSize, 9), ino: 1, logicalBlock: 0, fresh: true);
        WaitFor(() => _store.WriterThreads.Count > 0, "the writer to try");
        var e = Assert.Throws<IOException>(cache.FlushDirty);
        Assert.That(e!.Message, Does.Contain("background write-back").And.Contain("injected"));
        Assert.That(cache.DirtyBytes, Is.EqualTo(64 * BlockSize), "nothing is counted written that was not");
        Assert.Throws<IOException>(() => cache.Write(0, Filled(2 << 20, 1), ino: 1, logicalBlock: 0, fresh: false), "a writer at the limit learns of it too");
    }

    [Test]
    public void StoppingWriteBackMakesTheWritersAtTheLimitWriteThemselves()
    {
        var cache = NewCache();
        cache.StopWriteBack();
        cache.Write(0, Filled(4 << 20, 4), ino: 1, logicalBlock: 0, fresh: true);
        Assert.That(cache.DirtyBytes, Is.LessThanOrEqualTo(cache.DirtyLimitBytes));
        Assert.That(_store.WriterThreads, Is.Not.Empty.And.None.EqualTo(WriterThread));
    }
}
