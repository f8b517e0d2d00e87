using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>
/// A listing ends after the entries that existed when it started, so a loop that renames each entry it
/// reads ends (btrfs's "infinite directory read" fix); names that exist throughout are listed once.
/// </summary>
public sealed class DirectoryListingEndTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    [Test]
    public void ARenameEachEntryLoopEnds()
    {
        var fs = FormatAndOpen();
        long dir = NewDirectory(fs, Root, "d");
        for (int i = 0; i < 600; i++)
        {
            NewFile(fs, dir, $"f{i}");
        }
        Assert.That(fs.DirectoryListingEnd(dir, out long end), Is.EqualTo(FsError.Ok));

        // As a host serves getdents in pages: resume from the last cookie, renaming what each page held.
        var seen = new List<string>();
        long cookie = 0;
        while (seen.Count < 10_000)
        {
            var page = new List<DirectoryEntry>();
            Assert.That(fs.ReadDirectory(dir, cookie, e =>
            {
                page.Add(e);
                return page.Count < 50;
            }, end), Is.EqualTo(FsError.Ok));
            if (page.Count == 0)
            {
                break;
            }
            foreach (var e in page)
            {
                seen.Add(e.Name);
                Assert.That(fs.Rename(dir, e.Name, dir, "renamed-" + e.Name, RenameFlags.None), Is.EqualTo(FsError.Ok));
            }
            cookie = page[^1].Cookie;
        }
        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Count.EqualTo(600), "each entry that existed at the start, once");
            Assert.That(seen, Is.EquivalentTo(Enumerable.Range(0, 600).Select(i => $"f{i}")));
            Assert.That(List(fs, dir).Select(e => e.Name), Is.All.StartsWith("renamed-f"), "and every one was renamed");
        });

        Assert.That(fs.DirectoryListingEnd(dir, out long restarted), Is.EqualTo(FsError.Ok));
        Assert.That(restarted, Is.GreaterThan(end), "a listing started later sees the new names");
        fs.Dispose();
    }

    [Test]
    public void AnEntryAddedDuringAListingIsLeftForTheNextOne()
    {
        var fs = FormatAndOpen();
        NewFile(fs, Root, "a");
        Assert.That(fs.DirectoryListingEnd(Root, out long end), Is.EqualTo(FsError.Ok));
        NewFile(fs, Root, "b");
        var names = new List<string>();
        Assert.That(fs.ReadDirectory(Root, 0, e =>
        {
            names.Add(e.Name);
            return true;
        }, end), Is.EqualTo(FsError.Ok));
        Assert.That(names, Is.EqualTo(new List<string> { "a" }));
        Assert.That(List(fs, Root).Select(e => e.Name), Is.EqualTo(new List<string> { "a", "b" }), "without an end, everything");
        fs.Dispose();
    }
}
