using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

/// <summary>
/// Inodes a host holds without a handle (the FUSE kernel's lookup count): they outlive their last name
/// until the last reference or handle goes, and a crash meanwhile leaves an orphan the next open reclaims.
/// </summary>
public sealed class HostReferenceTests : VolumeFixture
{
    private static readonly CreateRequest File = new(0x81a4, 0, 0);
    private static readonly CreateRequest Dir = new(0x41ed, 0, 0);

    [Test]
    public void ReferencedFileOutlivesItsNameUntilTheLastUnreference()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var a), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Write(a.Ino, 0, new byte[10_000], out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Reference(a.Ino, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Reference(a.Ino, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(a.Ino, out var held), Is.EqualTo(FsError.Ok));
        Assert.That(held.Nlink, Is.Zero);
        Assert.That(fs.Check(), Is.Empty);
        fs.Unreference(a.Ino, 1);
        Assert.That(fs.GetAttributes(a.Ino, out _), Is.EqualTo(FsError.Ok), "one reference is left");
        fs.Unreference(a.Ino, 1);
        Assert.That(fs.GetAttributes(a.Ino, out _), Is.EqualTo(FsError.NotFound));
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void RemovedDirectoryHeldOpenIsAnEmptyOrphanUntilReleased()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Mkdir(FileSystem.RootIno, "d", Dir, out var d), Is.EqualTo(FsError.Ok));
        Assert.That(fs.OpenInode(d.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rmdir(FileSystem.RootIno, "d"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Create(d.Ino, "new", File, out _), Is.EqualTo(FsError.NotFound), "nothing is created in a removed directory");
        Assert.That(fs.ReadDirectory(d.Ino, 0, _ => true), Is.EqualTo(FsError.Ok));
        fs.Sync();
        Assert.That(fs.Check(), Is.Empty, "a committed orphan directory is valid");
        Assert.That(fs.Release(d.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(d.Ino, out _), Is.EqualTo(FsError.NotFound));
    }

    [Test]
    public void CrashWhileReferencedReclaimsTheOrphanAtTheNextOpen()
    {
        var fs = FormatAndOpen();
        long free = fs.StatFs().FreeBlocks;
        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var a), Is.EqualTo(FsError.Ok));
        long ino = a.Ino;
        Assert.That(fs.Write(ino, 0, new byte[1 << 20], out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Mkdir(FileSystem.RootIno, "d", Dir, out var d), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Reference(ino, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Reference(d.Ino, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rmdir(FileSystem.RootIno, "d"), Is.EqualTo(FsError.Ok));
        fs.Sync();
        fs.SimulateCrash();

        using var again = Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(again.GetAttributes(ino, out _), Is.EqualTo(FsError.NotFound), "the file orphan was reclaimed");
            Assert.That(again.GetAttributes(d.Ino, out _), Is.EqualTo(FsError.NotFound), "so was the directory");
            Assert.That(again.StatFs().FreeBlocks, Is.EqualTo(free), "with all their blocks");
            Assert.That(again.Check(), Is.Empty);
        });
    }

    [Test]
    public void TemporaryFileIsAnOrphanUntilLinked()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.CreateTemporary(FileSystem.RootIno, File, out var t), Is.EqualTo(FsError.Ok));
        Assert.That(t.Nlink, Is.Zero);
        Assert.That(fs.Write(t.Ino, 0, "tmp"u8, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Check(), Is.Empty);
        Assert.That(fs.Link(t.Ino, FileSystem.RootIno, "named", out var linked), Is.EqualTo(FsError.Ok));
        Assert.That(linked.Nlink, Is.EqualTo(1u));
        Assert.That(fs.Release(t.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Lookup(FileSystem.RootIno, "named", out var found), Is.EqualTo(FsError.Ok));
        Assert.That(found.Size, Is.EqualTo(3));
        Assert.That(fs.Check(), Is.Empty);

        Assert.That(fs.CreateTemporary(FileSystem.RootIno, File, out var gone), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Release(gone.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(gone.Ino, out _), Is.EqualTo(FsError.NotFound), "never linked: reclaimed at its last close");
        Assert.That(fs.Unlink(FileSystem.RootIno, "named"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Link(t.Ino, FileSystem.RootIno, "again", out _), Is.EqualTo(FsError.NotFound), "an unlinked file is not linkable");
    }
}
