using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Reflink;

/// <summary>
/// Copy recognition (issue 10) through the engine: a write whose whole blocks repeat clean cached
/// blocks shares them, so a copy by read and write takes no space, reads back equal, stays independent
/// of its source, survives a reopen, and leaves a clean check; partial, unaligned and zero blocks are
/// written as before; and the option turns it off.
/// </summary>
public class CopyRecognitionTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const int Block = 4096;
    private const int Chunk = 1 << 20;
    private const int FileBytes = 4 << 20;

    private FileSystem _fs = null!;

    [TearDown]
    public void Close() => _fs?.Dispose();

    private FileSystem Open(bool? recognition = null, long cache = 64L << 20) =>
        FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = cache, CopyRecognition = recognition });

    private void FormatAndOpenVolume(long size = 256L << 20, bool formatted = true, bool? mounted = null)
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = size, CopyRecognition = formatted });
        _fs = Open(mounted);
    }

    private long Create(string name)
    {
        Assert.That(_fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        return attr.Ino;
    }

    private void WriteAll(long ino, long offset, byte[] data, int chunk = Chunk)
    {
        for (int pos = 0; pos < data.Length; pos += chunk)
        {
            int n = Math.Min(chunk, data.Length - pos);
            Assert.That(_fs.Write(ino, offset + pos, data.AsSpan(pos, n), out int written), Is.EqualTo(FsError.Ok));
            Assert.That(written, Is.EqualTo(n));
        }
    }

    private IReadOnlyList<FileExtent> Extents(long ino)
    {
        Assert.That(_fs.GetExtents(ino, out var extents), Is.EqualTo(FsError.Ok));
        return extents;
    }

    private static byte[] ReadAll(FileSystem fs, long ino, int length)
    {
        var buffer = new byte[length];
        Assert.That(fs.Read(ino, 0, buffer, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(length));
        return buffer;
    }

    /// <summary>A source of random bytes, made durable (so its blocks are clean in the cache) and read once, as a copier reads it.</summary>
    private long Source(string name, byte[] content)
    {
        long ino = Create(name);
        WriteAll(ino, 0, content);
        Assert.That(_fs.Fsync(ino), Is.EqualTo(FsError.Ok));
        ReadAll(_fs, ino, content.Length);
        return ino;
    }

    /// <summary>What a copier does: read a chunk of the source, write it to the destination at the same offset.</summary>
    private long CopyByReadAndWrite(long src, string name, int length, int chunk = Chunk)
    {
        long dst = Create(name);
        var buffer = new byte[chunk];
        for (int pos = 0; pos < length; pos += chunk)
        {
            int n = Math.Min(chunk, length - pos);
            Assert.That(_fs.Read(src, pos, buffer.AsSpan(0, n), out int got), Is.EqualTo(FsError.Ok));
            Assert.That(got, Is.EqualTo(n));
            Assert.That(_fs.Write(dst, pos, buffer.AsSpan(0, n), out _), Is.EqualTo(FsError.Ok));
        }
        return dst;
    }

    private static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    [TestCase(Chunk)]
    [TestCase(64 << 10)]
    [TestCase(Block)]
    public void ACopyByReadAndWriteSharesEveryBlockAndTakesNoSpace(int chunk)
    {
        FormatAndOpenVolume();
        var content = Random(FileBytes, 1);
        long src = Source("src", content);
        var before = _fs.Info();
        long recognizedBefore = _fs.CacheStatistics().RecognizedBlocks;

        long dst = CopyByReadAndWrite(src, "dst", FileBytes, chunk);
        Assert.That(_fs.Fsync(dst), Is.EqualTo(FsError.Ok));

        var after = _fs.Info();
        Assert.That(after.UsedBytes - before.UsedBytes, Is.LessThan(FileBytes / 100), "the copy's blocks are the source's");
        Assert.That(after.SharedBytes - before.SharedBytes, Is.EqualTo(FileBytes), "every block of the file is shared");
        Assert.That(_fs.CacheStatistics().RecognizedBlocks - recognizedBefore, Is.EqualTo(FileBytes / Block));
        Assert.That(Extents(dst).Count, Is.EqualTo(Extents(src).Count), "a copied file has as few extents as its source");
        Assert.That(ReadAll(_fs, dst, FileBytes), Is.EqualTo(content));
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void TheCopyAndItsSourceStayIndependent()
    {
        FormatAndOpenVolume();
        var content = Random(FileBytes, 2);
        long src = Source("src", content);
        long dst = CopyByReadAndWrite(src, "dst", FileBytes);

        var patch = Random(3 * Block + 100, 3);
        Assert.That(_fs.Write(dst, FileBytes / 2 + 7, patch, out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Write(src, 12345, patch, out _), Is.EqualTo(FsError.Ok));
        var expectedDst = (byte[])content.Clone();
        patch.CopyTo(expectedDst, FileBytes / 2 + 7);
        var expectedSrc = (byte[])content.Clone();
        patch.CopyTo(expectedSrc, 12345);
        Assert.That(ReadAll(_fs, dst, FileBytes), Is.EqualTo(expectedDst), "a write to the copy changed only the copy");
        Assert.That(ReadAll(_fs, src, FileBytes), Is.EqualTo(expectedSrc), "a write to the source changed only the source");

        Assert.That(_fs.SetAttributes(src, new SetAttributesRequest(SetAttributeFields.Size, Size: 5000), out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Allocate(dst, Block, 8 * Block, AllocateMode.PunchHole), Is.EqualTo(FsError.Ok));
        Array.Clear(expectedDst, Block, 8 * Block);
        Assert.That(ReadAll(_fs, dst, FileBytes), Is.EqualTo(expectedDst));
        Assert.That(_fs.Check(), Is.Empty);

        _fs.Dispose();
        _fs = Open();
        Assert.That(ReadAll(_fs, dst, FileBytes), Is.EqualTo(expectedDst), "the shared references were committed with the rest");
        Assert.That(ReadAll(_fs, src, 5000), Is.EqualTo(expectedSrc.AsSpan(0, 5000).ToArray()));
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void ACopyOntoAFullVolumeSucceedsAndAMixedWriteThatNeedsSpaceChangesNothing()
    {
        FormatAndOpenVolume(size: 16L << 20);
        var content = Random(10 << 20, 4);
        long src = Source("src", content);
        long filler = Create("filler");
        long free = _fs.Info().FreeBytes;
        WriteAll(filler, 0, Random((int)(free / Block * Block), 40));
        Assert.That(_fs.Fsync(filler), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Info().FreeBytes, Is.LessThan(Block * 4L), "the volume is full");

        long dst = CopyByReadAndWrite(src, "dst", content.Length);
        Assert.That(ReadAll(_fs, dst, content.Length), Is.EqualTo(content), "sharing needs no space");

        var mixed = content.AsSpan(0, 2 * Block).ToArray();
        mixed[Block + 5] ^= 0xFF;
        Assert.That(_fs.Write(dst, 4 * Block, mixed, out _), Is.EqualTo(FsError.NoSpace), "one block of the write needs space and cannot have it");
        Assert.That(ReadAll(_fs, dst, content.Length), Is.EqualTo(content), "the failed write changed nothing");
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void PartialUnalignedAndChangedBlocksAreWrittenAsBefore()
    {
        FormatAndOpenVolume();
        var content = Random(64 * Block, 5);
        long src = Source("src", content);
        long dst = Create("dst");
        long recognized = _fs.CacheStatistics().RecognizedBlocks;

        // Shifted by one byte: no whole destination block holds a source block's bytes.
        Assert.That(_fs.Write(dst, 1, content, out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.CacheStatistics().RecognizedBlocks, Is.EqualTo(recognized));

        // Aligned, one byte changed in block 10: the other 63 blocks are shared.
        var changed = (byte[])content.Clone();
        changed[10 * Block + 99] ^= 1;
        long dst2 = Create("dst2");
        Assert.That(_fs.Write(dst2, 0, changed, out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.CacheStatistics().RecognizedBlocks - recognized, Is.EqualTo(63));
        Assert.That(ReadAll(_fs, dst2, changed.Length), Is.EqualTo(changed));

        var shifted = new byte[content.Length + 1];
        content.CopyTo(shifted, 1);
        Assert.That(ReadAll(_fs, dst, shifted.Length), Is.EqualTo(shifted));
        Assert.That(_fs.Check(), Is.Empty);
    }

    /// <summary>
    /// tar writes a file as 9,728 bytes, then 10,240-byte records: after the first, no write starts on a
    /// block boundary, so a block is written in two parts. The write that completes it shares it, and
    /// the last block, which ends the file inside it, too.
    /// </summary>
    [TestCase(FileBytes + 1000)]
    [TestCase(9728 + 2000)]
    public void BlocksWrittenInTwoPartsAreSharedWhenTheSecondCompletesThem(int length)
    {
        FormatAndOpenVolume();
        var content = Random(length, 9);
        long src = Source("src", content);
        long used = _fs.Info().UsedBytes;
        long recognized = _fs.CacheStatistics().RecognizedBlocks;
        long dst = Create("dst");
        for (int pos = 0; pos < length;)
        {
            int n = Math.Min(pos == 0 ? 9728 : 10240, length - pos);
            Assert.That(_fs.Write(dst, pos, content.AsSpan(pos, n), out _), Is.EqualTo(FsError.Ok));
            pos += n;
        }
        Assert.That(_fs.Fsync(dst), Is.EqualTo(FsError.Ok));
        long blocks = (length + Block - 1) / Block;
        Assert.That(_fs.CacheStatistics().RecognizedBlocks - recognized, Is.EqualTo(blocks), "every block, the last partial one included");
        Assert.That(_fs.Info().UsedBytes, Is.EqualTo(used));
        Assert.That(ReadAll(_fs, dst, length), Is.EqualTo(content));
        Assert.That(_fs.Check(), Is.Empty);
    }

    /// <summary>
    /// What lets a write share a block mapped twice without holding its owners: a block once shared is
    /// copied on write until the next commit, even one allocated since the last commit. Here a block
    /// written just now (indexed dirty) is shared by a copy, the copy is truncated away, and the
    /// first file's next write to it must go to a new block, not over the one a copier may be comparing.
    /// </summary>
    [Test]
    public void ABlockSharedAndUnsharedSinceTheCommitIsCopiedOnWrite()
    {
        FormatAndOpenVolume();
        var content = Random(4 * Block, 11);
        long a = Create("a");
        WriteAll(a, 0, content);
        long before = _fs.CacheStatistics().RecognizedBlocks;
        long b = Create("b");
        WriteAll(b, 0, content);
        Assert.That(_fs.CacheStatistics().RecognizedBlocks - before, Is.EqualTo(4), "a file just written is recognized before write-back");
        long physical = Extents(a)[0].PhysicalOffset;
        Assert.That(_fs.SetAttributes(b, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
        Assert.That(Extents(a)[0].ShareCount, Is.EqualTo(1));

        Assert.That(_fs.Write(a, 0, Random(Block, 12), out _), Is.EqualTo(FsError.Ok));
        Assert.That(Extents(a)[0].PhysicalOffset, Is.Not.EqualTo(physical), "copied on write, though allocated since the last commit");
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void ZerosAreWrittenNotShared()
    {
        FormatAndOpenVolume();
        long src = Source("zeros", new byte[32 * Block]);
        long used = _fs.Info().UsedBytes;
        long dst = CopyByReadAndWrite(src, "dst", 32 * Block);
        Assert.That(_fs.Fsync(dst), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Info().UsedBytes - used, Is.EqualTo(32L * Block), "a write of zeros reserves its space, as programs that preallocate by writing zeros expect");
    }

    [Test]
    public void RewritingAFileWithItsOwnBytesChangesNothing()
    {
        FormatAndOpenVolume();
        var content = Random(FileBytes, 6);
        long src = Source("src", content);
        var extents = Extents(src);
        var before = _fs.Info();
        WriteAll(src, 0, content);
        Assert.That(_fs.Fsync(src), Is.EqualTo(FsError.Ok));
        Assert.That(Extents(src), Is.EqualTo(extents), "in place, as rsync --inplace of an unchanged file");
        Assert.That(_fs.Info().SharedBytes, Is.EqualTo(before.SharedBytes));
        Assert.That(_fs.Check(), Is.Empty);
    }

    [TestCase(false, null)]
    [TestCase(true, false)]
    public void TheVolumeOrTheMountTurnsItOff(bool formatted, bool? mounted)
    {
        FormatAndOpenVolume(formatted: formatted, mounted: mounted);
        var content = Random(FileBytes, 7);
        long src = Source("src", content);
        long used = _fs.Info().UsedBytes;
        long dst = CopyByReadAndWrite(src, "dst", FileBytes);
        Assert.That(_fs.Fsync(dst), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Info().UsedBytes - used, Is.EqualTo(FileBytes));
        Assert.That(_fs.CacheStatistics().RecognizedBlocks, Is.Zero);
        Assert.That(ReadAll(_fs, dst, FileBytes), Is.EqualTo(content));
    }

    [Test]
    public void TheVolumeSettingSurvivesAReopen()
    {
        FormatAndOpenVolume(formatted: false);
        _fs.Dispose();
        _fs = Open();
        long src = Source("src", Random(16 * Block, 8));
        CopyByReadAndWrite(src, "dst", 16 * Block);
        Assert.That(_fs.CacheStatistics().RecognizedBlocks, Is.Zero);
    }
}
