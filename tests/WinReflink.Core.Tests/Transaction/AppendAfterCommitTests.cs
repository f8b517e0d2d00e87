using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Transaction;

/// <summary>
/// Only a block that holds committed data needs copy-on-write: the committed EOF block is copied once
/// by the first append after a commit, and the copy, allocated in the running transaction, takes the
/// later appends in place (issue 6, defect 5).
/// </summary>
public class AppendAfterCommitTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private static long LastBlockPhysical(FileSystem fs, long ino)
    {
        Assert.That(fs.GetExtents(ino, out var extents), Is.EqualTo(FsError.Ok));
        Assert.That(extents, Has.Count.EqualTo(1));
        return extents[0].PhysicalOffset;
    }

    private static (FileSystem Fs, long Ino, byte[] Committed) FileWithACommittedPartialBlock(Func<FileSystem> open)
    {
        var fs = open();
        Assert.That(fs.Create(FileSystem.RootIno, "log", new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        var committed = new byte[100];
        new Random(1).NextBytes(committed);
        Assert.That(fs.Write(attr.Ino, 0, committed, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Fsync(attr.Ino), Is.EqualTo(FsError.Ok));
        return (fs, attr.Ino, committed);
    }

    private static byte[] Append(FileSystem fs, long ino, int times)
    {
        var all = new List<byte>();
        for (int i = 0; i < times; i++)
        {
            var chunk = new byte[100];
            new Random(100 + i).NextBytes(chunk);
            Assert.That(fs.GetAttributes(ino, out var attr), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Write(ino, attr.Size, chunk, out _), Is.EqualTo(FsError.Ok));
            all.AddRange(chunk);
        }
        return [.. all];
    }

    [Test]
    public void TenAppendsAfterACommitCopyTheCommittedBlockOnce()
    {
        var (fs, ino, _) = FileWithACommittedPartialBlock(() => FormatAndOpen());
        using (fs)
        {
            long committedPhysical = LastBlockPhysical(fs, ino);
            long freeBefore = fs.StatFs().FreeBlocks;
            long writtenBefore = fs.DataBytesWritten;
            Append(fs, ino, 1);
            long copy = LastBlockPhysical(fs, ino);
            Assert.That(copy, Is.Not.EqualTo(committedPhysical), "the committed EOF block must be copied on write");
            Append(fs, ino, 9);
            Assert.That(LastBlockPhysical(fs, ino), Is.EqualTo(copy), "appends into a block allocated since the commit go in place");
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            Assert.That(fs.StatFs().FreeBlocks, Is.EqualTo(freeBefore), "one block allocated, one freed");
            Assert.That(fs.DataBytesWritten - writtenBefore, Is.EqualTo(fs.BlockSize), "one block written back");
            Assert.That(fs.Check(), Is.Empty);
        }
    }

    [Test]
    public void AfterACrashTheCommittedBytesAreBackWithZerosPastThem()
    {
        var (fs, ino, committed) = FileWithACommittedPartialBlock(() => FormatAndOpen());
        Append(fs, ino, 10);
        fs.SimulateCrash();
        using var again = Reopen();
        Assert.That(again.GetAttributes(ino, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.EqualTo(committed.Length));
        Assert.That(again.SetAttributes(ino, new SetAttributesRequest(SetAttributeFields.Size, Size: again.BlockSize), out _), Is.EqualTo(FsError.Ok));
        var block = new byte[again.BlockSize];
        Assert.That(again.Read(ino, 0, block, out _), Is.EqualTo(FsError.Ok));
        Assert.That(block.AsSpan(0, committed.Length).SequenceEqual(committed), Is.True);
        Assert.That(block.AsSpan(committed.Length).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "appended bytes that never committed show past EOF");
        Assert.That(again.Check(), Is.Empty);
    }

    [Test]
    public void AppendsMadeDurableByFsyncSurviveACrash()
    {
        var (fs, ino, committed) = FileWithACommittedPartialBlock(() => FormatAndOpen());
        var appended = Append(fs, ino, 10);
        Assert.That(fs.Fsync(ino), Is.EqualTo(FsError.Ok));
        fs.SimulateCrash();
        using var again = Reopen();
        var content = new byte[committed.Length + appended.Length];
        Assert.That(again.Read(ino, 0, content, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(content.Length));
        Assert.That(content, Is.EqualTo([.. committed, .. appended]));
        Assert.That(again.Check(), Is.Empty);
    }
}
