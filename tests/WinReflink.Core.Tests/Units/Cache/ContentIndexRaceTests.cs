using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// The content index while batches hash their blocks outside the cache's lock: the background writer
/// and a commit's batch land amid an engine thread's writes, reads, loads and discards of the same
/// few blocks (a small cache, so windows are evicted too). Throughout, the index's invariants hold
/// (every indexed block clean and valid, its hash its bytes'), and a block found by its bytes holds them.
/// </summary>
public class ContentIndexRaceTests
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;
    private const int StoreBlocks = 32 * ExtentCache.WindowBlocks;
    private const int Steps = 20_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Few distinct contents, so blocks often hold equal bytes and share a hash (zeros too: the store starts zeroed).</summary>
    private static readonly byte[][] Contents = Enumerable.Range(1, 6).Select(v =>
    {
        var bytes = new byte[BlockSize];
        Array.Fill(bytes, (byte)v);
        return bytes;
    }).ToArray();

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void TheIndexStaysExactWhileBatchesLandAmidWritesLoadsAndDiscards(int seed)
    {
        using var store = new PausableBlockStore(BlockSize, StoreBlocks);
        // 8 windows for 32: eviction; a dirty limit of 2 windows: the writer starts at 16 dirty blocks.
        using var cache = new ExtentCache(store, 8L * WindowBytes, 2L * WindowBytes, NullLogger.Instance, background: true);
        var random = new Random(seed);
        Task? commit = null;
        var block = new byte[BlockSize];
        for (int step = 1; step <= Steps; step++)
        {
            int op = random.Next(100);
            long at = random.Next(StoreBlocks - 4);
            int count = random.Next(1, 4);
            var content = Contents[random.Next(Contents.Length)];
            if (op < 45)
            {
                for (int i = 0; i < count; i++)
                {
                    cache.Write((at + i) * BlockSize, content, ino: 1, logicalBlock: at + i, fresh: false);
                }
            }
            else if (op < 50)
            {
                cache.Write(at * BlockSize + random.Next(BlockSize - 10), new byte[] { 9, 9, 9 }, ino: 1, logicalBlock: at, fresh: false);
            }
            else if (op < 65)
            {
                cache.Read(at * BlockSize, new byte[count * BlockSize], ino: 1, logicalBlock: at);
            }
            else if (op < 75)
            {
                var load = new ReadLoad(firstAttempt: true);
                cache.TryRead(at * BlockSize, new byte[count * BlockSize], ino: 1, logicalBlock: at, load);
                cache.Load(load);
            }
            else if (op < 82)
            {
                cache.Discard(at, count);
            }
            else if (op < 86)
            {
                // One commit at a time, as the engine's; its batch is written while the engine goes on.
                Assert.That(commit?.Wait(Patience) ?? true, Is.True, "the last commit's batch landed");
                var batch = cache.TakeDirty();
                commit = Task.Run(() => cache.WriteTaken(batch));
            }
            else
            {
                long found = cache.FindEqual(content);
                if (found >= 0)
                {
                    cache.Read(found * BlockSize, block, ino: 0, logicalBlock: 0);
                    Assert.That(block.AsSpan().SequenceEqual(content), Is.True, $"step {step}: block {found} was found for bytes it does not hold");
                }
            }
            if (step % 500 == 0)
            {
                cache.CheckContentIndex();
            }
        }
        Assert.That(commit?.Wait(Patience) ?? true, Is.True, "the last commit's batch landed");
        cache.CheckContentIndex();
        cache.FlushDirty();
        cache.CheckContentIndex();
        var stats = cache.Statistics();
        Assert.That(stats.IndexedBlocks, Is.Positive.And.LessThanOrEqualTo(stats.CachedBytes / BlockSize), "all clean now: indexed, up to the bound per hash");
    }
}
