namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// Readahead into the cache: sequential cold reads of a file are served by fewer, larger store reads
/// as the window grows; random reads load only the blocks they ask for.
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

    [Test]
    public void RandomColdReadsLoadOnlyWhatTheyAskFor()
    {
        var content = Pattern(FileBytes);
        var fs = OpenCold(out var inodes, ("rand", content));
        var rng = new Random(11);
        var blocks = Enumerable.Range(FileBytes / BlockSize / 8, FileBytes / BlockSize * 7 / 8).OrderBy(_ => rng.Next()).Take(200).ToList();
        foreach (int block in blocks)
        {
            long offset = (long)block * BlockSize;
            Assert.That(ReadAll(fs, inodes[0], BlockSize, offset), Is.EqualTo(content.AsSpan((int)offset, BlockSize).ToArray()), $"block {block}");
        }
        Assert.That(Store.ReadCalls.Select(r => r.Blocks), Has.All.EqualTo(1), "no store read past the block asked for");
        Assert.That(Store.ReadCalls, Has.Count.EqualTo(blocks.Count));
    }
}
