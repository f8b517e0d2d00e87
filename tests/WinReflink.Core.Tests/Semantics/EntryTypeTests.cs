using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>
/// Each directory entry keeps its inode's file type (format version 6): a listing of names answers
/// with it and loads no inode. The type follows every change of an entry (create, link, rename,
/// exchange, whiteout) through the commit, the eviction of clean entries and a reopen.
/// </summary>
public sealed class EntryTypeTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    /// <summary>Name to type bits, as the listing without inode loads gives them; the whole-mode listing agrees.</summary>
    private static Dictionary<string, uint> Types(FileSystem fs, long dir)
    {
        var types = new Dictionary<string, uint>();
        Assert.That(fs.ReadDirectoryNames(dir, 0, e =>
        {
            Assert.That(e.Mode & ~PosixMode.TypeMask, Is.Zero, $"{e.Name}: the type alone");
            types[e.Name] = e.Mode;
            return true;
        }), Is.EqualTo(FsError.Ok));
        var whole = List(fs, dir).ToDictionary(e => e.Name, e => e.Mode & PosixMode.TypeMask);
        Assert.That(types, Is.EqualTo(whole), "the entries' types are their inodes'");
        return types;
    }

    [Test]
    public void EveryEntryKeepsItsInodesTypeThroughChangesCommitsEvictionAndReopen()
    {
        FormatAndOpen().Dispose();
        var fs = OpenWithTinyBudget();
        long dir = NewDirectory(fs, Root, "d");
        NewFile(fs, dir, "file");
        Assert.That(fs.Symlink(dir, "link", "file", new CreateRequest(0x1FF, 0, 0), out _), Is.EqualTo(FsError.Ok));
        NewFile(fs, dir, "fifo", mode: PosixMode.Fifo | 0x1A4);
        NewFile(fs, dir, "socket", mode: PosixMode.Socket | 0x1A4);
        long sub = NewDirectory(fs, dir, "sub");
        long device = NewFile(fs, sub, "device", mode: PosixMode.CharDevice | 0x1A4);
        Assert.That(fs.Link(device, dir, "device-link", out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rename(dir, "file", dir, "renamed-file", RenameFlags.None), Is.EqualTo(FsError.Ok));
        // Exchange: each name now names the other's inode, and so takes its type.
        Assert.That(fs.Rename(dir, "fifo", dir, "sub", RenameFlags.Exchange), Is.EqualTo(FsError.Ok));
        // Replace: the target name keeps its place and takes the source's type.
        Assert.That(fs.Rename(dir, "link", dir, "socket", RenameFlags.None), Is.EqualTo(FsError.Ok));
        // Whiteout: the source name names a new character device.
        NewFile(fs, dir, "to-move");
        Assert.That(fs.Rename(dir, "to-move", sub, "moved", RenameFlags.Whiteout), Is.EqualTo(FsError.Ok));
        var expected = new Dictionary<string, uint>
        {
            ["renamed-file"] = PosixMode.Regular,
            ["fifo"] = PosixMode.Directory,
            ["sub"] = PosixMode.Fifo,
            ["socket"] = PosixMode.Symlink,
            ["device-link"] = PosixMode.CharDevice,
            ["to-move"] = PosixMode.CharDevice,
        };
        Assert.That(Types(fs, dir), Is.EqualTo(expected), "before the commit: the types held in memory");
        Assert.That(fs.Lookup(dir, "fifo", out var moved), Is.EqualTo(FsError.Ok));
        Assert.That(Types(fs, moved.Ino), Is.EqualTo(new Dictionary<string, uint> { ["device"] = PosixMode.CharDevice, ["moved"] = PosixMode.Regular }));

        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(fs.EvictMetadata(), Is.GreaterThan(0), "the committed inodes left memory");
        Assert.That(fs.EvictedDirectoryEntries, Is.GreaterThan(0), "and the cached entries with them");
        Assert.That(Types(fs, dir), Is.EqualTo(expected), "committed and evicted: the types read back from the rows");
        Assert.That(fs.Check(), Is.Empty);
        fs.Dispose();

        using var reopened = OpenWithTinyBudget();
        Assert.That(Types(reopened, dir), Is.EqualTo(expected), "reopened");
        Assert.That(reopened.Check(), Is.Empty);
    }

    [Test]
    public void ListingNamesLoadsNoInodeWhileListingWholeModesLoadsThemAll()
    {
        var fs = FormatAndOpen();
        long dir = NewDirectory(fs, Root, "d");
        for (int i = 0; i < 1000; i++)
        {
            NewFile(fs, dir, $"f{i:0000}");
        }
        fs = CheckedReopen(fs);
        Assert.That(fs.Lookup(Root, "d", out _), Is.EqualTo(FsError.Ok));
        long before = fs.MetadataStatistics().ResidentInodes;
        int listed = 0;
        Assert.That(fs.ReadDirectoryNames(dir, 0, e =>
        {
            Assert.That(e.Mode, Is.EqualTo(PosixMode.Regular));
            listed++;
            return true;
        }), Is.EqualTo(FsError.Ok));
        Assert.That(listed, Is.EqualTo(1000));
        Assert.That(fs.MetadataStatistics().ResidentInodes, Is.EqualTo(before), "names, numbers and types come from the entries");
        Assert.That(List(fs, dir), Has.Count.EqualTo(1000));
        Assert.That(fs.MetadataStatistics().ResidentInodes, Is.GreaterThanOrEqualTo(before + 1000), "whole modes come from the inodes");
        fs.Dispose();
    }
}
