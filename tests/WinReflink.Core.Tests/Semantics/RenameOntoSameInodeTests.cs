using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>
/// Rename where source and target name one inode: one name under two spellings on a case-insensitive
/// volume, or two hard links. POSIX makes it a no-op; the Linux kernel filters most of these before they
/// reach a filesystem, the CLI and the Windows host do not, so the engine must get them right.
/// </summary>
public sealed class RenameOntoSameInodeTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    [Test]
    public void ExchangeOfOneNameUnderTwoSpellingsIsANoOp()
    {
        var fs = FormatAndOpen(caseSensitive: false);
        long ino = NewFile(fs, Root, "File.txt", "contents");
        long cookie = List(fs, Root).Single().Cookie;

        Assert.That(fs.Rename(Root, "file.txt", Root, "FILE.TXT", RenameFlags.Exchange), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rename(Root, "File.txt", Root, "File.txt", RenameFlags.Exchange), Is.EqualTo(FsError.Ok), "the very same spelling");

        var entry = List(fs, Root).Single();
        Assert.Multiple(() =>
        {
            Assert.That((entry.Name, entry.Ino, entry.Cookie), Is.EqualTo(("File.txt", ino, cookie)), "nothing changed, not even the spelling");
            Assert.That(Read(fs, ino), Is.EqualTo("contents"));
        });
        fs = CheckedReopen(fs);
        Assert.That(List(fs, Root).Single().Name, Is.EqualTo("File.txt"));
        fs.Dispose();
    }

    [Test]
    public void RenameOfAHardLinkOntoAnotherLinkOfTheSameInodeKeepsBoth()
    {
        var fs = FormatAndOpen(caseSensitive: true);
        long dir = NewDirectory(fs, Root, "dir");
        long ino = NewFile(fs, Root, "a", "shared");
        Assert.That(fs.Link(ino, Root, "b", out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Link(ino, dir, "c", out _), Is.EqualTo(FsError.Ok));

        Assert.Multiple(() =>
        {
            Assert.That(fs.Rename(Root, "a", Root, "b", RenameFlags.None), Is.EqualTo(FsError.Ok), "plain rename: a no-op");
            Assert.That(fs.Rename(Root, "a", dir, "c", RenameFlags.None), Is.EqualTo(FsError.Ok), "across directories too");
            Assert.That(fs.Rename(Root, "a", Root, "b", RenameFlags.Exchange), Is.EqualTo(FsError.Ok), "exchange: a no-op");
            Assert.That(fs.Rename(Root, "a", Root, "b", RenameFlags.Whiteout, new CreateRequest(0, 0, 0)), Is.EqualTo(FsError.Ok), "whiteout: a no-op");
            Assert.That(fs.Rename(Root, "a", Root, "b", RenameFlags.NoReplace), Is.EqualTo(FsError.Exists), "no-replace: the target exists");
        });
        Assert.That(fs.GetAttributes(ino, out var attributes), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(List(fs, Root).Where(e => !e.Name.Equals("dir", StringComparison.Ordinal)).Select(e => (e.Name, e.Ino)), Is.EqualTo(new[] { ("a", ino), ("b", ino) }));
            Assert.That(List(fs, dir).Select(e => (e.Name, e.Ino)), Is.EqualTo(new[] { ("c", ino) }));
            Assert.That(attributes.Nlink, Is.EqualTo(3u));
        });
        CheckedReopen(fs).Dispose();
    }

    [Test]
    public void CaseOnlyRenameChangesTheStoredSpellingInPlace()
    {
        var fs = FormatAndOpen(caseSensitive: false);
        NewFile(fs, Root, "before");
        long ino = NewFile(fs, Root, "readme.txt", "text");
        NewFile(fs, Root, "after");
        var cookies = List(fs, Root).Select(e => e.Cookie).ToList();

        Assert.That(fs.Rename(Root, "readme.txt", Root, "README.TXT", RenameFlags.None), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rename(Root, "README.TXT", Root, "ReadMe.txt", RenameFlags.NoReplace), Is.EqualTo(FsError.Ok),
            "a case change is not a replacement (Windows' MoveFile without REPLACE_EXISTING does it)");

        var entries = List(fs, Root);
        Assert.Multiple(() =>
        {
            Assert.That(entries.Select(e => e.Name), Is.EqualTo(new List<string> { "before", "ReadMe.txt", "after" }), "respelled where it stood");
            Assert.That(entries.Select(e => e.Cookie), Is.EqualTo(cookies), "cookies unchanged: a listing in progress neither repeats nor misses it");
            Assert.That(entries[1].Ino, Is.EqualTo(ino));
            Assert.That(fs.EntryName(Root, "readme.TXT", out string stored), Is.EqualTo(FsError.Ok));
            Assert.That(stored, Is.EqualTo("ReadMe.txt"));
        });
        fs = CheckedReopen(fs);
        Assert.That(List(fs, Root).Select(e => e.Name), Is.EqualTo(new List<string> { "before", "ReadMe.txt", "after" }), "the spelling was committed");
        fs.Dispose();
    }

    [Test]
    public void ExchangeKeepsBothNamesInTheirPlaces()
    {
        var fs = FormatAndOpen();
        long one = NewFile(fs, Root, "one", "1");
        long two = NewFile(fs, Root, "two", "2");
        var before = List(fs, Root);

        Assert.That(fs.Rename(Root, "one", Root, "two", RenameFlags.Exchange), Is.EqualTo(FsError.Ok));
        var after = List(fs, Root);
        Assert.Multiple(() =>
        {
            Assert.That(after.Select(e => (e.Name, e.Cookie)), Is.EqualTo(before.Select(e => (e.Name, e.Cookie))));
            Assert.That(after.Select(e => e.Ino), Is.EqualTo(new[] { two, one }));
        });
        CheckedReopen(fs).Dispose();
    }
}
