using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.BadInput;

/// <summary>
/// Offsets at or past <see cref="FileSystem.MaxFileSize"/> (including ones where offset + length
/// overflows a long) fail with FileTooLarge, or InvalidArgument where the call validates ranges, and
/// change nothing; overlapping same-file clones are InvalidArgument.
/// </summary>
public class FileSizeLimitTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const long Max = FileSystem.MaxFileSize;

    private FileSystem _fs = null!;
    private long _file;
    private byte[] _content = Array.Empty<byte>();

    [SetUp]
    public void CreateFile()
    {
        _fs = FormatAndOpen();
        Assert.That(_fs.Create(FileSystem.RootIno, "f", new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        _file = attr.Ino;
        _content = new byte[65536 + 123];
        new Random(9).NextBytes(_content);
        Assert.That(_fs.Write(_file, 0, _content, out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Sync(), Is.EqualTo(FsError.Ok));
    }

    [TearDown]
    public void CloseVolume() => _fs.Dispose();

    /// <summary>The file still has exactly its content, its extents, and the volume its space; Check() is clean.</summary>
    private void AssertUnchanged(IReadOnlyList<FileExtent> extents, VolumeInfo info)
    {
        Assert.That(_fs.GetAttributes(_file, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.EqualTo(_content.Length));
        var back = new byte[_content.Length + 10];
        Assert.That(_fs.Read(_file, 0, back, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(_content.Length));
        Assert.That(back.AsSpan(0, n).SequenceEqual(_content), Is.True);
        Assert.That(_fs.GetExtents(_file, out var now), Is.EqualTo(FsError.Ok));
        Assert.That(now, Is.EqualTo(extents));
        Assert.That(_fs.Info(), Is.EqualTo(info));
        Assert.That(_fs.Check(), Is.Empty);
    }

    private (IReadOnlyList<FileExtent>, VolumeInfo) Before()
    {
        Assert.That(_fs.GetExtents(_file, out var extents), Is.EqualTo(FsError.Ok));
        return (extents, _fs.Info());
    }

    [TestCase(Max - 1, 2)]
    [TestCase(Max, 1)]
    [TestCase(Max + 4096, 4096)]
    [TestCase(long.MaxValue - 5, 10)]
    [TestCase(long.MaxValue, 1)]
    public void WritePastTheMaximumSize(long offset, int length)
    {
        var (extents, info) = Before();
        Assert.That(_fs.Write(_file, offset, new byte[length], out int written), Is.EqualTo(FsError.FileTooLarge));
        Assert.That(written, Is.Zero);
        AssertUnchanged(extents, info);
    }

    [TestCase(Max + 1)]
    [TestCase(long.MaxValue)]
    public void TruncatePastTheMaximumSize(long size)
    {
        var (extents, info) = Before();
        Assert.That(_fs.SetAttributes(_file, new SetAttributesRequest(SetAttributeFields.Size, Size: size), out _), Is.EqualTo(FsError.FileTooLarge));
        AssertUnchanged(extents, info);
    }

    [TestCase(Max, 1, AllocateMode.Allocate)]
    [TestCase(Max - 4096, 8192, AllocateMode.KeepSize)]
    [TestCase(0, Max + 1, AllocateMode.ZeroRange)]
    [TestCase(long.MaxValue, long.MaxValue, AllocateMode.PunchHole)]
    [TestCase(long.MaxValue - 10, 20, AllocateMode.ZeroRangeKeepSize)]
    public void FallocatePastTheMaximumSize(long offset, long length, AllocateMode mode)
    {
        var (extents, info) = Before();
        Assert.That(_fs.Allocate(_file, offset, length, mode), Is.EqualTo(FsError.FileTooLarge));
        AssertUnchanged(extents, info);
    }

    [TestCase(Max - 100)]
    [TestCase(Max)]
    [TestCase(long.MaxValue - 10)]
    [TestCase(long.MaxValue)]
    public void CloneToPastTheMaximumSize(long dstOffset)
    {
        Assert.That(_fs.Create(FileSystem.RootIno, "g", new CreateRequest(RegularFile, 0, 0), out var g), Is.EqualTo(FsError.Ok));
        var (extents, info) = Before();
        Assert.That(_fs.CloneRange(_file, 0, g.Ino, dstOffset, long.MaxValue, out long cloned), Is.EqualTo(FsError.FileTooLarge));
        Assert.That(cloned, Is.Zero);
        Assert.That(_fs.CloneRange(_file, 0, _file, dstOffset, 4096, out cloned), Is.EqualTo(FsError.FileTooLarge));
        Assert.That(cloned, Is.Zero);
        Assert.That(_fs.GetAttributes(g.Ino, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.Zero);
        AssertUnchanged(extents, info);
    }

    [TestCase(long.MaxValue / 4096 * 4096, 0, 8192)]
    [TestCase(0, long.MaxValue / 4096 * 4096, 8192)]
    [TestCase(4096, 8192, long.MaxValue)]
    [TestCase(4096, 32768, long.MaxValue - 4096)]
    public void DedupeWithOverflowingRanges(long srcOffset, long dstOffset, long length)
    {
        var (extents, info) = Before();
        Assert.That(_fs.DedupeRange(_file, srcOffset, _file, dstOffset, length, out long deduped), Is.EqualTo(FsError.InvalidArgument));
        Assert.That(deduped, Is.Zero);
        AssertUnchanged(extents, info);
    }

    [Test]
    public void ReadAndSeekPastTheMaximumSize()
    {
        var (extents, info) = Before();
        Assert.That(_fs.Read(_file, long.MaxValue, new byte[10], out int read), Is.EqualTo(FsError.Ok));
        Assert.That(read, Is.Zero);
        Assert.That(_fs.Seek(_file, long.MaxValue, SeekWhence.Data, out _), Is.EqualTo(FsError.NoData));
        Assert.That(_fs.Seek(_file, long.MaxValue, SeekWhence.Hole, out _), Is.EqualTo(FsError.NoData));
        AssertUnchanged(extents, info);
    }

    /// <summary>The maximum itself is a valid size: a sparse file of 1 PiB, truncated back afterwards.</summary>
    [Test]
    public void WritingTheLastByteBelowTheMaximumWorks()
    {
        Assert.That(_fs.Write(_file, Max - 1, new byte[] { 42 }, out int written), Is.EqualTo(FsError.Ok));
        Assert.That(written, Is.EqualTo(1));
        Assert.That(_fs.GetAttributes(_file, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.EqualTo(Max));
        var b = new byte[2];
        Assert.That(_fs.Read(_file, Max - 1, b, out int read), Is.EqualTo(FsError.Ok));
        Assert.That((read, b[0]), Is.EqualTo((1, (byte)42)));
        Assert.That(_fs.Seek(_file, _content.Length + 5000, SeekWhence.Data, out long data), Is.EqualTo(FsError.Ok));
        Assert.That(data, Is.EqualTo(Max - 4096));
        Assert.That(_fs.Check(), Is.Empty);
        Assert.That(_fs.SetAttributes(_file, new SetAttributesRequest(SetAttributeFields.Size, Size: _content.Length), out _), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.Check(), Is.Empty);
    }

    [TestCase(0, 4096, 8192)]
    [TestCase(4096, 0, 8192)]
    [TestCase(1000, 1000, 10)]
    [TestCase(0, 65535, long.MaxValue)]
    [TestCase(100, 5000, 5000)]
    public void OverlappingSameFileCloneIsInvalid(long srcOffset, long dstOffset, long length)
    {
        var (extents, info) = Before();
        Assert.That(_fs.CloneRange(_file, srcOffset, _file, dstOffset, length, out long cloned), Is.EqualTo(FsError.InvalidArgument));
        Assert.That(cloned, Is.Zero);
        AssertUnchanged(extents, info);
    }

    [Test]
    public void AdjacentSameFileCloneWorks()
    {
        Assert.That(_fs.CloneRange(_file, 0, _file, 8192, 8192, out long cloned), Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(8192));
        var back = new byte[16384];
        Assert.That(_fs.Read(_file, 0, back, out _), Is.EqualTo(FsError.Ok));
        Assert.That(back.AsSpan(8192).SequenceEqual(_content.AsSpan(0, 8192)), Is.True);
        Assert.That(_fs.Info().SharedBytes, Is.EqualTo(8192));
        Assert.That(_fs.Check(), Is.Empty);
    }
}
