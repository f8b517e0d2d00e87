using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Transaction;

/// <summary>
/// A write whose free-space check commits the running transaction (to make busy blocks usable) must
/// count its blocks again after that commit: the commit moves committed EOFs, which can turn an
/// in-place block into copy-on-write (issue 6, defect 1).
/// </summary>
public class NearlyFullWriteTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const int Bs = 4096;

    private static long Create(FileSystem fs, string name)
    {
        Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        return attr.Ino;
    }

    [Test]
    public void AWriteNeedingTheCommitsSpaceAfterAnAppendEitherSucceedsWholeOrChangesNothing()
    {
        using var fs = FormatAndOpen(64 * Bs);
        long a = Create(fs, "a");
        long filler = Create(fs, "filler");
        var first = new byte[Bs];
        new Random(1).NextBytes(first);
        Assert.That(fs.Write(a, 0, first, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Ok));
        var appended = new byte[100];
        new Random(2).NextBytes(appended);
        Assert.That(fs.Write(a, Bs, appended, out _), Is.EqualTo(FsError.Ok));
        long free = fs.StatFs().FreeBlocks;
        Assert.That(fs.Write(filler, 0, new byte[free * Bs], out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.StatFs().FreeBlocks, Is.Zero);
        // Frees one block, busy until the next commit.
        Assert.That(fs.SetAttributes(filler, new SetAttributesRequest(SetAttributeFields.Size, Size: (free - 1) * Bs), out _), Is.EqualTo(FsError.Ok));

        var second = new byte[Bs];
        new Random(3).NextBytes(second);
        var e = fs.Write(a, Bs + 100, second, out int written);

        Assert.That(fs.GetAttributes(a, out var attr), Is.EqualTo(FsError.Ok));
        var expected = new byte[Bs + 100];
        first.CopyTo(expected, 0);
        appended.CopyTo(expected, Bs);
        if (e == FsError.Ok)
        {
            Assert.That(written, Is.EqualTo(Bs));
            expected = [.. expected, .. second];
        }
        else
        {
            Assert.That(e, Is.EqualTo(FsError.NoSpace));
        }
        Assert.That(attr.Size, Is.EqualTo(expected.Length));
        var content = new byte[expected.Length];
        Assert.That(fs.Read(a, 0, content, out _), Is.EqualTo(FsError.Ok));
        Assert.That(content, Is.EqualTo(expected));
        Assert.That(fs.Check(), Is.Empty);
        // Bytes of a failed write must not show up past EOF when the file grows.
        Assert.That(fs.SetAttributes(a, new SetAttributesRequest(SetAttributeFields.Size, Size: 3 * Bs), out _), Is.EqualTo(FsError.Ok));
        var grown = new byte[3 * Bs];
        Assert.That(fs.Read(a, 0, grown, out _), Is.EqualTo(FsError.Ok));
        Assert.That(grown.AsSpan(expected.Length).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "bytes past the old EOF are not zero");
    }
}
