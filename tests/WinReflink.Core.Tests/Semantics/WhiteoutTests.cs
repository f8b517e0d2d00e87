using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>RENAME_WHITEOUT (overlayfs's upper layer): the source's name is left to a character device 0/0.</summary>
public sealed class WhiteoutTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    [Test]
    public void RenameLeavesAWhiteoutOwnedByTheCallerInTheSourcesPlace()
    {
        var fs = FormatAndOpen();
        long dir = NewDirectory(fs, Root, "d");
        long moved = NewFile(fs, Root, "source", "data");
        long replaced = NewFile(fs, dir, "target", "old");
        long cookie = List(fs, Root).Single(e => e.Name == "source").Cookie;

        Assert.That(fs.Rename(Root, "source", dir, "target", RenameFlags.Whiteout, new CreateRequest(0x1FF, 1000, 1001)), Is.EqualTo(FsError.Ok));

        Assert.That(fs.Lookup(Root, "source", out var whiteout), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Lookup(dir, "target", out var target), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(whiteout.Mode, Is.EqualTo(PosixMode.CharDevice), "a character device with mode 0");
            Assert.That(whiteout.Rdev, Is.Zero, "device 0/0");
            Assert.That((whiteout.Uid, whiteout.Gid), Is.EqualTo((1000u, 1001u)));
            Assert.That(whiteout.Nlink, Is.EqualTo(1u));
            Assert.That(List(fs, Root).Single(e => e.Name == "source").Cookie, Is.EqualTo(cookie), "in the source's place");
            Assert.That(target.Ino, Is.EqualTo(moved));
            Assert.That(Read(fs, moved), Is.EqualTo("data"));
            Assert.That(fs.GetAttributes(replaced, out _), Is.EqualTo(FsError.NotFound), "the replaced file is gone");
        });

        Assert.That(fs.Rename(Root, "d", Root, "e", RenameFlags.Whiteout | RenameFlags.NoReplace), Is.EqualTo(FsError.Ok), "a directory, with no-replace");
        Assert.Multiple(() =>
        {
            Assert.That(fs.Lookup(Root, "d", out var dirWhiteout), Is.EqualTo(FsError.Ok));
            Assert.That(dirWhiteout.Mode, Is.EqualTo(PosixMode.CharDevice));
            Assert.That(fs.Lookup(Root, "e", out var e), Is.EqualTo(FsError.Ok));
            Assert.That(e.Ino, Is.EqualTo(dir));
            Assert.That(fs.Rename(Root, "e", Root, "source", RenameFlags.Whiteout | RenameFlags.Exchange), Is.EqualTo(FsError.InvalidArgument));
        });
        fs = CheckedReopen(fs);
        Assert.That(fs.Lookup(Root, "source", out var after), Is.EqualTo(FsError.Ok));
        Assert.That(after.Mode, Is.EqualTo(PosixMode.CharDevice), "the whiteout was committed");
        fs.Dispose();
    }
}
