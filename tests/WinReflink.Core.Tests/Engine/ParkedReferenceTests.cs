using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

/// <summary>
/// Inodes the host holds only by reference (the FUSE kernel's lookups) leave memory under the metadata
/// budget like any clean inode, and their references wait for them: loaded again, an inode has every
/// reference the host did not give back, so unlink-while-referenced still keeps it until the last FORGET.
/// </summary>
public sealed class ParkedReferenceTests : VolumeFixture
{
    private static readonly CreateRequest File = new(0x81a4, 0, 0);

    /// <summary>A 1-byte budget: every clean inode a scan may drop is dropped.</summary>
    private FileSystem FormatAndOpenTiny()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 256L << 20 });
        return FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20, MetadataCacheBytes = 1 });
    }

    private static long CreateReferenced(FileSystem fs, string name, int references)
    {
        Assert.That(fs.Create(FileSystem.RootIno, name, File, out var a), Is.EqualTo(FsError.Ok));
        for (int i = 0; i < references; i++)
        {
            Assert.That(fs.Reference(a.Ino, out _), Is.EqualTo(FsError.Ok));
        }
        fs.Sync();
        return a.Ino;
    }

    [Test]
    public void ReferencedInodeIsDroppedAndKeepsItsReferences()
    {
        using var fs = FormatAndOpenTiny();
        long ino = CreateReferenced(fs, "f", references: 2);
        fs.EvictMetadata();
        Assert.That(fs.IsResident(ino), Is.False, "a clean inode held only by reference is dropped");
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(ino, out var held), Is.EqualTo(FsError.Ok), "its two references came back with it");
        Assert.That(held.Nlink, Is.Zero);
        fs.Unreference(ino, 1);
        Assert.That(fs.GetAttributes(ino, out _), Is.EqualTo(FsError.Ok), "one reference is left");
        fs.Unreference(ino, 1);
        Assert.That(fs.GetAttributes(ino, out _), Is.EqualTo(FsError.NotFound));
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void ForgetOfADroppedInodeCountsWithoutLoadingIt()
    {
        using var fs = FormatAndOpenTiny();
        long one = CreateReferenced(fs, "one", references: 3);
        long all = CreateReferenced(fs, "all", references: 2);
        fs.EvictMetadata();
        fs.Unreference(one, 2);
        fs.Unreference(all, 5);
        Assert.That(fs.IsResident(one) || fs.IsResident(all), Is.False, "FORGET counted the parked references without loading the inodes");
        Assert.That(fs.Unlink(FileSystem.RootIno, "one"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "all"), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(fs.GetAttributes(one, out _), Is.EqualTo(FsError.Ok), "3 - 2 references: one still holds it");
            Assert.That(fs.GetAttributes(all, out _), Is.EqualTo(FsError.NotFound), "more given back than taken clamps at zero: nothing holds it");
        });
        fs.Unreference(one, 1);
        Assert.That(fs.GetAttributes(one, out _), Is.EqualTo(FsError.NotFound));
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void SessionEndForgetsParkedReferences()
    {
        using var fs = FormatAndOpenTiny();
        long ino = CreateReferenced(fs, "f", references: 4);
        fs.EvictMetadata();
        Assert.That(fs.IsResident(ino), Is.False);
        fs.UnreferenceAll();
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(ino, out _), Is.EqualTo(FsError.NotFound), "no reference survived the session's end");
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void ReferencedOrphanStaysResident()
    {
        using var fs = FormatAndOpenTiny();
        long ino = CreateReferenced(fs, "f", references: 1);
        Assert.That(fs.Write(ino, 0, new byte[8192], out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        fs.Sync();
        fs.EvictMetadata();
        Assert.That(fs.IsResident(ino), Is.True, "a nameless inode a host holds is never dropped");
        Assert.That(fs.GetAttributes(ino, out var orphan), Is.EqualTo(FsError.Ok), "the orphan is still held");
        Assert.That(orphan.Nlink, Is.Zero);
        Assert.That(orphan.Size, Is.EqualTo(8192));
        fs.Unreference(ino, 1);
        Assert.That(fs.GetAttributes(ino, out _), Is.EqualTo(FsError.NotFound), "its last reference destroyed it");
        Assert.That(fs.Check(), Is.Empty);
    }
}
