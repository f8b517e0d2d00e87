using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>
/// Directories read from meta.db a name or a page at a time (issue 11), through the real loader, with a
/// budget so small that every eviction drops every clean entry: listings, lookups and emptiness stay
/// exact while the entries change, commit and leave memory.
/// </summary>
public sealed class PagedDirectoryTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    /// <summary>A committed volume with directory "d" of <paramref name="count"/> files f000.., opened again so "d" is read from meta.db.</summary>
    private (FileSystem Fs, long Dir) StoredDirectory(int count)
    {
        var fs = FormatAndOpen();
        long dir = NewDirectory(fs, Root, "d");
        for (int i = 0; i < count; i++)
        {
            NewFile(fs, dir, $"f{i:000}");
        }
        CheckedReopen(fs).Dispose();
        return (OpenWithTinyBudget(), dir);
    }

    [Test]
    public void AListingSeesEveryEntryThatStayedOnceWhileNamesChangeCommitAndLeaveMemory()
    {
        var (fs, dir) = StoredDirectory(700);
        Assert.That(fs.DirectoryListingEnd(dir, out long end), Is.EqualTo(FsError.Ok));
        var seen = new List<string>();
        long cookie = 0;
        for (int p = 0; ; p++)
        {
            var page = new List<DirectoryEntry>();
            Assert.That(fs.ReadDirectory(dir, cookie, e =>
            {
                page.Add(e);
                return page.Count < 100;
            }, end), Is.EqualTo(FsError.Ok));
            if (page.Count == 0)
            {
                break;
            }
            seen.AddRange(page.Select(e => e.Name));
            cookie = page[^1].Cookie;
            if (p < 3)
            {
                Assert.That(fs.Unlink(dir, $"f{400 + p}"), Is.EqualTo(FsError.Ok));
                Assert.That(fs.Rename(dir, $"f{500 + p}", dir, $"moved{p}", RenameFlags.None), Is.EqualTo(FsError.Ok));
                NewFile(fs, dir, $"new{p}");
            }
            if (p % 2 == 1)
            {
                Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            }
            fs.EvictMetadata();
        }
        var expected = Enumerable.Range(0, 700).Where(i => i is not (>= 400 and <= 402) and not (>= 500 and <= 502)).Select(i => $"f{i:000}");
        Assert.That(seen, Is.EqualTo(expected), "each entry that stayed, once, in the order made; renamed and new names lie past the listing's end");
        Assert.That(fs.EvictedDirectoryEntries, Is.GreaterThan(0), "the budget dropped cached entries as the listing ran");

        Assert.That(fs.Lookup(dir, "F123", out _), Is.EqualTo(FsError.Ok), "a lookup after eviction reads the row by its key");
        Assert.That(fs.Lookup(dir, "moved1", out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Lookup(dir, "f401", out _), Is.EqualTo(FsError.NotFound));
        Assert.That(fs.Lookup(dir, "f501", out _), Is.EqualTo(FsError.NotFound));
        fs = CheckedReopen(fs);
        Assert.That(List(fs, dir), Has.Count.EqualTo(700));
        fs.Dispose();
    }

    [Test]
    public void ADirectoryEmptiedSinceTheLastCommitIsEmptyBeforeTheNextOne()
    {
        var (fs, dir) = StoredDirectory(300);
        for (int i = 0; i < 299; i++)
        {
            Assert.That(fs.Unlink(dir, $"f{i:000}"), Is.EqualTo(FsError.Ok));
        }
        fs.EvictMetadata();
        Assert.That(fs.Rmdir(Root, "d"), Is.EqualTo(FsError.NotEmpty), "one stored entry is left behind 299 removals not yet committed");
        Assert.That(fs.Unlink(dir, "f299"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Rmdir(Root, "d"), Is.EqualTo(FsError.Ok));
        CheckedReopen(fs).Dispose();
    }
}
