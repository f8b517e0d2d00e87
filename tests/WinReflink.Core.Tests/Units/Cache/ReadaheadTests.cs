namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// Readahead into the cache: sequential cold reads of a file are served by fewer, larger store reads
/// as the window grows; random reads read around within their cache window, only blocks the file maps.
/// </summary>
public class ReadaheadTests : ColdVolumeFixture
{
    private const int FileBytes = 8 << 20;

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        new Random(5).NextBytes(data);
        return data;
    }

    [Test]
    public void SequentialColdReadsIssueFewerLargerStoreReads()
    {
        var content = Pattern(FileBytes);
        var fs = OpenCold(out var inodes, ("seq", content));
        const int request = 16 << 10;
        for (int offset = 0; offset < FileBytes; offset += request)
        {
            Assert.That(ReadAll(fs, inodes[0], request, offset), Is.EqualTo(content.AsSpan(offset, request).ToArray()), $"bytes at {offset}");
        }
        var reads = Store.ReadCalls;
        TestContext.Out.WriteLine($"{FileBytes / request} reads of {request >> 10} KiB took {reads.Count} store reads, the largest {reads.Max(r => r.Blocks) * BlockSize >> 10} KiB");
        Assert.That(reads.Count, Is.LessThan(FileBytes / request / 8), "readahead serves most reads from the cache");
        Assert.That(reads.Max(r => r.Blocks) * BlockSize, Is.GreaterThanOrEqualTo(1 << 20), "the window grows past 1 MiB");
        Assert.That(reads.Sum(r => r.Blocks) * BlockSize, Is.EqualTo(FileBytes), "each block is read once");
    }

    /// <summary>The physical blocks the file maps.</summary>
    private static HashSet<long> Mapped(FileSystem fs, long ino)
    {
        Ok(fs.GetExtents(ino, out var extents));
        return extents.SelectMany(e => Enumerable.Range(0, (int)(e.Length / BlockSize)).Select(i => e.PhysicalOffset / BlockSize + i)).ToHashSet();
    }

    [Test]
    public void RandomColdReadsReadAroundWithinTheirCacheWindowAndTheFile()
    {
        var content = Pattern(FileBytes);
        var fs = OpenCold(out var inodes, ("rand", content));
        var mapped = Mapped(fs, inodes[0]);
        var rng = new Random(11);
        var blocks = Enumerable.Range(0, FileBytes / BlockSize).OrderBy(_ => rng.Next()).Take(400).ToList();
        foreach (int block in blocks)
        {
            long offset = (long)block * BlockSize;
            Assert.That(ReadAll(fs, inodes[0], BlockSize, offset), Is.EqualTo(content.AsSpan((int)offset, BlockSize).ToArray()), $"block {block}");
        }
        var reads = Store.ReadCalls;
        var windows = mapped.Select(b => b / 16).ToHashSet();
        TestContext.Out.WriteLine($"{blocks.Count} random 4 KiB reads took {reads.Count} store reads of {reads.Average(r => r.Blocks):F1} blocks on average");
        Assert.That(reads.All(r => r.Block / 16 == (r.Block + r.Blocks - 1) / 16), Is.True, "a random read's store read stays in one cache window");
        Assert.That(reads.SelectMany(r => Enumerable.Range(0, (int)r.Blocks).Select(i => r.Block + i)).All(mapped.Contains), Is.True, "only blocks the file maps are read");
        Assert.That(reads.Sum(r => r.Blocks), Is.EqualTo(reads.SelectMany(r => Enumerable.Range(0, (int)r.Blocks).Select(i => r.Block + i)).Distinct().Count()), "each block is read once");
        Assert.That(reads.Count, Is.LessThanOrEqualTo(windows.Count + 1), "a window read around once serves the later reads that land in it");
        Assert.That(reads.Count, Is.LessThan(blocks.Count * 3 / 4), "400 random reads over 128 windows hit windows read earlier");
    }

    [Test]
    public void ReadAroundNeverReadsBlocksTheFileDoesNotMap()
    {
        // Two files written a block at a time in turn: their blocks alternate in the same windows.
        var a = Pattern(32 * BlockSize);
        var b = Filled(32 * BlockSize, 0xBB);
        var fs = OpenCold(out var inodes, ("a", []), ("b", []));
        for (int block = 0; block < 32; block++)
        {
            Ok(fs.Write(inodes[0], (long)block * BlockSize, a.AsSpan(block * BlockSize, BlockSize), out _));
            Ok(fs.Write(inodes[1], (long)block * BlockSize, b.AsSpan(block * BlockSize, BlockSize), out _));
        }
        fs = Reopen(fs);
        Assert.That(Mapped(fs, inodes[0]).Select(p => p / 16).Intersect(Mapped(fs, inodes[1]).Select(p => p / 16)), Is.Not.Empty, "the files share windows");
        Assert.That(Mapped(fs, inodes[0]).Overlaps(Mapped(fs, inodes[1])), Is.False);
        var mappedA = Mapped(fs, inodes[0]);
        foreach (int block in new[] { 17, 3, 29, 8 })
        {
            Assert.That(ReadAll(fs, inodes[0], BlockSize, (long)block * BlockSize), Is.EqualTo(a.AsSpan(block * BlockSize, BlockSize).ToArray()));
        }
        Assert.That(Store.ReadCalls.SelectMany(r => Enumerable.Range(0, (int)r.Blocks).Select(i => r.Block + i)).All(mappedA.Contains), Is.True,
            "read-around of a, whose windows b shares, reads only a's blocks");
    }
}
