using WinReflink.Core.Namespace;

namespace WinReflink.Core.Tests.Units.Namespace;

/// <summary>
/// A paged directory over a stored table that behaves as meta.db does for it: rows change only when a
/// captured commit is written, and the directory learns it is durable afterwards.
/// </summary>
public class DirectoryContentsTests
{
    private const long Dir = 7;
    private static readonly long File = EntryType.Of(PosixMode.Regular);

    /// <summary>The dirents rows of the last durable commit, with the queries the directory asked.</summary>
    private sealed class StoredTable : IStoredDirents
    {
        private readonly Dictionary<string, DirectoryRecord> _rows = new(StringComparer.Ordinal);
        public int Finds;
        public int Pages;

        public void Put(DirectoryRecord record) => _rows[record.Key] = record;

        public void Delete(string key) => _rows.Remove(key);

        public DirectoryRecord? Find(long dir, string key)
        {
            Assert.That(dir, Is.EqualTo(Dir));
            Finds++;
            return _rows.GetValueOrDefault(key);
        }

        public List<DirectoryRecord> After(long dir, long cookie, int limit)
        {
            Assert.That(dir, Is.EqualTo(Dir));
            Pages++;
            return _rows.Values.Where(r => r.Cookie > cookie).OrderBy(r => r.Cookie).Take(limit).ToList();
        }
    }

    /// <summary>A directory of <paramref name="count"/> stored entries "e1".. with cookies 1..count, as a load from meta.db finds it.</summary>
    private static (DirectoryContents Dir, StoredTable Table) Stored(int count)
    {
        var table = new StoredTable();
        for (int i = 1; i <= count; i++)
        {
            table.Put(new DirectoryRecord($"e{i}", $"e{i}", 1000 + i, i, File));
        }
        var contents = new DirectoryContents { NextCookie = count + 1 };
        contents.Page(table, Dir, _ => { });
        return (contents, table);
    }

    /// <summary>The capture: what changed, taken for the write; meta.db does not have it yet.</summary>
    private static List<(string Key, DirectoryRecord? Entry)> Capture(DirectoryContents dir)
    {
        var captured = new List<(string, DirectoryRecord?)>();
        dir.DrainChanges((key, entry) => captured.Add((key, entry)));
        return captured;
    }

    /// <summary>The write lands and the commit is finished.</summary>
    private static void Durable(DirectoryContents dir, StoredTable table, List<(string Key, DirectoryRecord? Entry)> captured)
    {
        foreach (var (key, entry) in captured)
        {
            if (entry != null)
            {
                table.Put(entry);
            }
            else
            {
                table.Delete(key);
            }
        }
        dir.Committed();
    }

    private static List<string> Names(IEnumerable<DirectoryRecord> records) => records.Select(r => r.Name).ToList();

    private static string Listed(IEnumerable<DirectoryRecord> records) => string.Join(" ", records.Select(r => r.Name));

    [Test]
    public void ALookupAsksTheStoreOnceAndRemembersAbsentNamesToo()
    {
        var (dir, table) = Stored(10);
        Assert.That(dir.TryGet("e3", out var e3), Is.True);
        Assert.That(e3.Ino, Is.EqualTo(1003));
        Assert.That(dir.TryGet("e3", out _), Is.True);
        Assert.That(dir.TryGet("missing", out _), Is.False);
        Assert.That(dir.TryGet("missing", out _), Is.False);
        Assert.That(table.Finds, Is.EqualTo(2), "one query per name, the answer cached, absent or present");
        Assert.That(dir.LoadedCount, Is.EqualTo(2), "nothing else of the directory was read");
        dir.Add("missing", "missing", 99, File);
        Assert.That(dir.TryGet("missing", out var added), Is.True, "a cached absence ends when the name is added");
        Assert.That(added.Cookie, Is.EqualTo(11));
    }

    [Test]
    public void AListingAcrossPagesSeesEveryEntryThatStayedOnceWhileNamesChangeAndCommitsLand()
    {
        var (dir, table) = Stored(1000);
        long end = dir.NextCookie;
        var page = dir.After(0, end).Take(300).ToList();
        var seen = Names(page);

        // Between two reads of the listing: a removal ahead, an addition, a rename ahead, a replacement behind and ahead.
        Assert.That(dir.TryGet("e500", out _), Is.True);
        dir.Remove("e500");
        dir.Add("new", "new", 5000, File);
        dir.TryGet("e600", out var e600);
        dir.Remove("e600");
        dir.Add("e600-renamed", "e600-renamed", e600.Ino, File);
        dir.Replace("e10", "e10", 7777, EntryType.Of(PosixMode.Directory));
        dir.Replace("e700", "E700", 7700, File);
        var captured = Capture(dir);
        page = dir.After(page[^1].Cookie, end).Take(200).ToList();
        seen.AddRange(Names(page));
        // The commit is durable midway; clean entries leave memory as the eviction scan would drop them.
        Durable(dir, table, captured);
        dir.DropClean();
        seen.AddRange(Names(dir.After(page[^1].Cookie, end)));

        var expected = Enumerable.Range(1, 1000).Where(i => i is not 500 and not 600).Select(i => i == 700 ? "E700" : $"e{i}").ToList();
        Assert.That(seen, Is.EqualTo(expected), "each entry that stayed exactly once, in cookie order; names added meanwhile lie past the listing's end");
        var all = dir.Records.ToList();
        Assert.That(all.Select(r => r.Cookie), Is.Ordered.Ascending);
        Assert.That(all, Has.Count.EqualTo(1000));
        Assert.That(all.Single(r => r.Name == "e10").Ino, Is.EqualTo(7777), "a replaced entry keeps its place");
        Assert.That(all.Single(r => r.Name == "e10").Type, Is.EqualTo(EntryType.Of(PosixMode.Directory)), "and takes its new inode's type");
        Assert.That(Listed(all.TakeLast(2)), Is.EqualTo("new e600-renamed"));
        Assert.That(table.Pages, Is.GreaterThan(4), "the stored rows were read a page at a time");
    }

    [Test]
    public void ChangesBeingCommittedStillOverrideTheStoredRowsUntilDurable()
    {
        var (dir, table) = Stored(3);
        dir.TryGet("e2", out _);
        dir.Remove("e2");
        dir.Add("e4", "e4", 4004, File);
        var captured = Capture(dir);
        Assert.That(dir.DropClean(), Is.EqualTo(0), "the changed keys stay while meta.db lacks them");
        Assert.That(dir.TryGet("e2", out _), Is.False, "the store still has e2, but it is gone");
        Assert.That(Listed(dir.Records), Is.EqualTo("e1 e3 e4"));
        Durable(dir, table, captured);
        Assert.That(dir.DropClean(), Is.EqualTo(2), "durable: both keys are clean now");
        Assert.That(dir.LoadedCount, Is.Zero);
        Assert.That(dir.TryGet("e4", out var e4), Is.True, "read back from the store after eviction");
        Assert.That(e4.Cookie, Is.EqualTo(4));
        Assert.That(Listed(dir.Records), Is.EqualTo("e1 e3 e4"));
    }

    [Test]
    public void ANameRemovedAndAddedAgainWhileItsRemovalCommitsKeepsItsNewEntry()
    {
        var (dir, table) = Stored(2);
        dir.TryGet("e1", out _);
        dir.Remove("e1");
        var captured = Capture(dir);
        dir.Add("e1", "e1", 9, File);
        Durable(dir, table, captured);
        dir.DropClean();
        Assert.That(dir.TryGet("e1", out var e1), Is.True, "the addition since the capture is not in meta.db: it must stay");
        Assert.That((e1.Ino, e1.Cookie), Is.EqualTo((9L, 3L)));
        Assert.That(Listed(dir.Records), Is.EqualTo("e2 e1"));
    }

    [Test]
    public void ADirectoryWhoseEntriesAreAllRemovedIsEmptyBeforeTheCommit()
    {
        var (dir, table) = Stored(600);
        Assert.That(dir.IsEmpty, Is.False);
        for (int i = 1; i <= 600; i++)
        {
            dir.Remove($"e{i}");
        }
        Assert.That(dir.IsEmpty, Is.True, "600 stored rows, all removed in memory");
        Assert.That(dir.Count, Is.Zero);
        Durable(dir, table, Capture(dir));
        Assert.That(dir.IsEmpty, Is.True);
        dir.Add("x", "x", 1, File);
        Assert.That(dir.IsEmpty, Is.False);
    }

    [Test]
    public void ACompleteDirectoryKeepsEveryEntry()
    {
        var dir = new DirectoryContents();
        dir.Load(new DirectoryRecord("b", "b", 2, 5, File));
        dir.Load(new DirectoryRecord("a", "a", 1, 3, File));
        Assert.That(dir.NextCookie, Is.EqualTo(6));
        Assert.That(dir.DropClean(), Is.Zero, "nothing stands behind a complete directory");
        Assert.That(Listed(dir.After(0)), Is.EqualTo("a b"), "listed in cookie order");
        Assert.That(dir.Count, Is.EqualTo(2));
        dir.Remove("a");
        Assert.That(dir.TryGet("a", out _), Is.False);
        Assert.That(dir.Count, Is.EqualTo(1));
    }
}
