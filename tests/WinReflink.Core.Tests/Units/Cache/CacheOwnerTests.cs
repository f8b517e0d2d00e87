using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>Owners are (inode, logical block) mappings: a file that maps one physical block twice owns it twice.</summary>
public class CacheOwnerTests : VolumeFixture
{
    private const int BlockSize = 4096;
    private const int WindowBytes = ExtentCache.WindowBlocks * BlockSize;

    private static ExtentCache NewCache(MemoryBlockStore store) => new(store, 64L * WindowBytes, 16L * WindowBytes, NullLogger.Instance, background: false);

    private static void ReadAs(ExtentCache cache, long physicalByte, int length, long ino, long logicalBlock) =>
        cache.Read(physicalByte, new byte[length], ino, logicalBlock);

    [Test]
    public void UnmappingOneOfTwoMappingsOfAFileKeepsTheOther()
    {
        using var store = new MemoryBlockStore(BlockSize, 64 * ExtentCache.WindowBlocks);
        using var cache = NewCache(store);
        long window = 3 * ExtentCache.WindowBlocks;
        // File 10 maps the window at logical 0 and, cloned within itself, at logical 100; file 11 maps it too.
        ReadAs(cache, window * BlockSize, WindowBytes, ino: 10, logicalBlock: 0);
        ReadAs(cache, window * BlockSize, WindowBytes, ino: 10, logicalBlock: 100);
        ReadAs(cache, window * BlockSize, WindowBytes, ino: 11, logicalBlock: 0);
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(WindowBytes), "two files share the window");

        cache.RemoveOwner(10, 100, window, ExtentCache.WindowBlocks);

        Assert.That(cache.OwnersOf(window), Is.EqualTo(new[] { new CacheOwner(10, 0), new CacheOwner(11, 0) }),
            "only the mapping at logical 100 went; file 10 still maps the window at logical 0");
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(WindowBytes), "two files still share the window");

        cache.RemoveOwner(10, 0, window, ExtentCache.WindowBlocks);
        Assert.That(cache.OwnersOf(window), Is.EqualTo(new[] { new CacheOwner(11, 0) }));
        Assert.That(cache.Statistics().SavedBytes, Is.Zero);
    }

    [Test]
    public void RemovingPartOfAMappingKeepsTheRestOfItsBlocks()
    {
        using var store = new MemoryBlockStore(BlockSize, 64 * ExtentCache.WindowBlocks);
        using var cache = NewCache(store);
        // Logical 5.. of file 7 maps physical 18.. (window 16, logical base 3); the same file maps block 18 again at logical 40.
        ReadAs(cache, 18 * BlockSize, 4 * BlockSize, ino: 7, logicalBlock: 5);
        ReadAs(cache, 18 * BlockSize, BlockSize, ino: 7, logicalBlock: 40);
        ReadAs(cache, 16 * BlockSize, 8 * BlockSize, ino: 8, logicalBlock: 0);
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(4 * BlockSize), "blocks 18..21 are used by files 7 and 8");

        // Logical 6..7 of file 7 (physical 19..20) go; block 18 stays mapped twice in file 7, block 21 once.
        cache.RemoveOwner(7, 6, 19, 2);

        Assert.That(cache.OwnersOf(16), Is.EqualTo(new[] { new CacheOwner(7, 3), new CacheOwner(7, 38), new CacheOwner(8, 0) }));
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(2 * BlockSize), "blocks 18 and 21 are still used by both files");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void SavedBytesCountDistinctFilesPerValidBlock(int seed)
    {
        var random = new Random(seed);
        using var store = new MemoryBlockStore(BlockSize, 64 * ExtentCache.WindowBlocks);
        using var cache = NewCache(store);
        // Owner blocks per (file, logical base), as the cache sees them; several bases per file.
        var used = new Dictionary<(long Ino, long Base), ulong>();
        for (int i = 0; i < 40; i++)
        {
            long ino = random.Next(1, 6), logicalBase = random.Next(0, 4) * 100;
            int first = random.Next(ExtentCache.WindowBlocks), count = random.Next(1, ExtentCache.WindowBlocks - first + 1);
            ReadAs(cache, (long)first * BlockSize, count * BlockSize, ino, logicalBase + first);
            used[(ino, logicalBase)] = used.GetValueOrDefault((ino, logicalBase)) | (((1UL << count) - 1) << first);
        }
        long expected = 0;
        for (int b = 0; b < ExtentCache.WindowBlocks; b++)
        {
            int files = used.Where(kv => (kv.Value & (1UL << b)) != 0).Select(kv => kv.Key.Ino).Distinct().Count();
            expected += Math.Max(0, files - 1) * (long)BlockSize;
        }
        Assert.That(cache.OwnersOf(0), Is.EqualTo(used.Keys.OrderBy(k => k.Ino).ThenBy(k => k.Base).Select(k => new CacheOwner(k.Ino, k.Base))));
        Assert.That(cache.Statistics().SavedBytes, Is.EqualTo(expected));
    }

    /// <summary>
    /// Regression: owners were dropped by inode whatever their offset, so truncating away one mapping of
    /// a block that a file had cloned within itself dropped the file from the block's owners entirely.
    /// </summary>
    [Test]
    public void FileClonedWithinItselfStillOwnsTheBlockAfterOneMappingIsTruncated()
    {
        using var fs = FormatAndOpen();
        var data = new byte[BlockSize];
        new Random(4).NextBytes(data);
        Assert.That(fs.Create(FileSystem.RootIno, "a", new CreateRequest(0x1A4, 0, 0), out var a), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Create(FileSystem.RootIno, "b", new CreateRequest(0x1A4, 0, 0), out var b), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Write(a.Ino, 0, data, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.CloneRange(a.Ino, 0, a.Ino, 4 * BlockSize, BlockSize, out long cloned), Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(BlockSize));
        Assert.That(fs.CloneRange(a.Ino, 0, b.Ino, 0, BlockSize, out cloned), Is.EqualTo(FsError.Ok));
        var buffer = new byte[BlockSize];
        foreach (var (ino, offset) in new[] { (a.Ino, 0L), (a.Ino, 4L * BlockSize), (b.Ino, 0L) })
        {
            Assert.That(fs.Read(ino, offset, buffer, out _), Is.EqualTo(FsError.Ok));
        }
        Assert.That(fs.CacheStatistics().SavedBytes, Is.EqualTo(BlockSize), "files a and b use the one cached block");

        Assert.That(fs.SetAttributes(a.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: BlockSize), out _), Is.EqualTo(FsError.Ok));

        Assert.That(fs.CacheStatistics().SavedBytes, Is.EqualTo(BlockSize), "file a still maps the block at offset 0");
        Assert.That(fs.SetAttributes(a.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.CacheStatistics().SavedBytes, Is.Zero, "only file b maps the block now");
    }
}
