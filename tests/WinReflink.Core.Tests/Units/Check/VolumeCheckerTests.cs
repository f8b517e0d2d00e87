using System.Globalization;
using Microsoft.Data.Sqlite;
using WinReflink.Core.Check;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Units.Check;

/// <summary>
/// Each test builds a sound volume through the engine, breaks one invariant behind its back (in
/// meta.db, or in data.img) while it is closed, reopens it and expects `check` to name the invariant
/// and the inode or block involved.
/// </summary>
public class VolumeCheckerTests : VolumeFixture
{
    private const int BlockSize = 4096;

    private static long NewFile(FileSystem fs, long parent, string name, int bytes, int seed)
    {
        Assert.That(fs.Create(parent, name, new CreateRequest(0x1A4, 0, 0), out var attributes), Is.EqualTo(FsError.Ok));
        if (bytes > 0)
        {
            var data = new byte[bytes];
            new Random(seed).NextBytes(data);
            Assert.That(fs.Write(attributes.Ino, 0, data, out int written), Is.EqualTo(FsError.Ok));
            Assert.That(written, Is.EqualTo(bytes));
        }
        return attributes.Ino;
    }

    private static long NewDirectory(FileSystem fs, long parent, string name)
    {
        Assert.That(fs.Mkdir(parent, name, new CreateRequest(0x1ED, 0, 0), out var attributes), Is.EqualTo(FsError.Ok));
        return attributes.Ino;
    }

    private static FileExtent FirstExtent(FileSystem fs, long ino)
    {
        Assert.That(fs.GetExtents(ino, out var extents), Is.EqualTo(FsError.Ok));
        return extents[0];
    }

    /// <summary>Closes a volume that checks clean; the caller then corrupts it.</summary>
    private static void CloseClean(FileSystem fs)
    {
        Assert.That(fs.Check(), Is.Empty, "the volume is sound before it is corrupted");
        fs.Dispose();
    }

    private void EditMetadata(params string[] statements)
    {
        string db = Path.Combine(Folder, "meta.db");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        foreach (string sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            Assert.That(command.ExecuteNonQuery(), Is.GreaterThan(0), sql);
        }
        connection.Close();
        // The damage is to the invariant under test alone: the rows' checksums are made to match it.
        Metadata.RowChecksums.ResealAll(db);
    }

    private long QueryLong(string sql)
    {
        string db = Path.Combine(Folder, "meta.db");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private IReadOnlyList<Violation> ReopenAndCheck()
    {
        using var fs = Reopen();
        var found = fs.Check();
        TestContext.Out.WriteLine(string.Join("\n", found));
        return found;
    }

    private static string Sql(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>
    /// The check after a shared row was edited by hand: the settings' sharing totals (format version 5)
    /// then disagree with the rows, which the check must say; returned are the other findings.
    /// </summary>
    private List<Violation> ReopenAndCheckSharedRows()
    {
        var found = ReopenAndCheck();
        var totals = found.Where(v => v.What.StartsWith("the settings count the wrong number of s", StringComparison.Ordinal)).ToList();
        Assert.That(totals, Is.Not.Empty, "the stored shared or saved blocks no longer match the rows");
        return found.Except(totals).ToList();
    }

    [Test]
    public void ASoundVolumeWithClonesHardLinksAndDirectoriesChecksClean()
    {
        using (var fs = FormatAndOpen())
        {
            long dir = NewDirectory(fs, FileSystem.RootIno, "dir");
            long a = NewFile(fs, dir, "a", 100_000, 1);
            long b = NewFile(fs, FileSystem.RootIno, "b", 0, 0);
            Assert.That(fs.CloneRange(a, 0, b, 0, long.MaxValue, out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Link(a, FileSystem.RootIno, "a-link", out _), Is.EqualTo(FsError.Ok));
            NewFile(fs, dir, "tail", 5000, 2);
            CloseClean(fs);
        }
        Assert.That(ReopenAndCheck(), Is.Empty);
    }

    [Test]
    public void AWrongReferenceCountInTheSharedTableIsInvariant1()
    {
        long a, b, start;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 10 * BlockSize, 1);
            b = NewFile(fs, FileSystem.RootIno, "b", 0, 0);
            Assert.That(fs.CloneRange(a, 0, b, 0, long.MaxValue, out _), Is.EqualTo(FsError.Ok));
            start = FirstExtent(fs, a).PhysicalOffset / BlockSize;
            CloseClean(fs);
        }
        EditMetadata(Sql($"UPDATE shared SET refs = 3 WHERE start = {start} AND refs = 2"));
        var found = ReopenAndCheckSharedRows();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(1));
        Assert.That(found[0].Block, Is.EqualTo(start));
        Assert.That(found[0].Ino, Is.AnyOf(a, b));
        Assert.That(found[0].Expected, Does.Contain("2 references"));
        Assert.That(found[0].Found, Does.Contain("3"));
    }

    [Test]
    public void AMissingSharedRowIsInvariant1()
    {
        long a, b, start;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 10 * BlockSize, 1);
            b = NewFile(fs, FileSystem.RootIno, "b", 0, 0);
            // Share only blocks 2..5 of a.
            Assert.That(fs.CloneRange(a, 2 * BlockSize, b, 0, 4 * BlockSize, out _), Is.EqualTo(FsError.Ok));
            start = FirstExtent(fs, a).PhysicalOffset / BlockSize + 2;
            CloseClean(fs);
        }
        EditMetadata(Sql($"DELETE FROM shared WHERE start = {start}"));
        var found = ReopenAndCheckSharedRows();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(1));
        Assert.That(found[0].Block, Is.EqualTo(start));
        Assert.That(found[0].Ino, Is.AnyOf(a, b));
        Assert.That(found[0].Found, Does.Contain("no row"));
    }

    [Test]
    public void ASharedRowOverSingleOwnerBlocksIsInvariant1()
    {
        long a, start;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 10 * BlockSize, 1);
            start = FirstExtent(fs, a).PhysicalOffset / BlockSize;
            CloseClean(fs);
        }
        EditMetadata(Sql($"INSERT INTO shared(start, length, refs) VALUES ({start + 4}, 2, 2)"));
        var found = ReopenAndCheckSharedRows();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(1));
        Assert.That(found[0].Block, Is.EqualTo(start + 4));
        Assert.That(found[0].Ino, Is.EqualTo(a));
    }

    [Test]
    public void AFreeRangeOverAMappedExtentIsInvariant2()
    {
        long a, start;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 10 * BlockSize, 1);
            start = FirstExtent(fs, a).PhysicalOffset / BlockSize;
            CloseClean(fs);
        }
        EditMetadata(Sql($"INSERT INTO free(start, length) VALUES ({start + 3}, 4)"));
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(2));
        Assert.That(found[0].Block, Is.EqualTo(start + 3));
        Assert.That(found[0].Ino, Is.EqualTo(a));
        Assert.That(found[0].Found, Does.Contain("mapped and free"));
    }

    [Test]
    public void BlocksNeitherFreeNorMappedAreInvariant2()
    {
        long lastFree;
        using (var fs = FormatAndOpen())
        {
            NewFile(fs, FileSystem.RootIno, "a", 10 * BlockSize, 1);
            CloseClean(fs);
        }
        lastFree = QueryLong("SELECT max(start) FROM free");
        EditMetadata(Sql($"UPDATE free SET start = start + 5, length = length - 5 WHERE start = {lastFree}"));
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(2));
        Assert.That(found[0].Block, Is.EqualTo(lastFree));
        Assert.That(found[0].What, Does.Contain($"blocks {lastFree}..{lastFree + 4} are lost"));
    }

    [Test]
    public void AnEntryNamingAMissingInodeIsInvariant3()
    {
        long dir;
        using (var fs = FormatAndOpen())
        {
            dir = NewDirectory(fs, FileSystem.RootIno, "dir");
            NewFile(fs, dir, "real", 100, 1);
            CloseClean(fs);
        }
        EditMetadata(Sql($"INSERT INTO dirents(parent, key, name, ino, cookie) VALUES ({dir}, 'GHOST', 'ghost', 999, 1000)"));
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(3));
        Assert.That(found[0].Ino, Is.EqualTo(dir), "the directory holding the entry");
        Assert.That(found[0].What, Does.Contain("'ghost'"));
        Assert.That(found[0].Expected, Does.Contain("999"));
    }

    [Test]
    public void AWrongLinkCountIsInvariant3()
    {
        long a;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 100, 1);
            Assert.That(fs.Link(a, FileSystem.RootIno, "a2", out _), Is.EqualTo(FsError.Ok));
            CloseClean(fs);
        }
        EditMetadata(Sql($"UPDATE inodes SET nlink = 3 WHERE ino = {a}"));
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(3));
        Assert.That(found[0].Ino, Is.EqualTo(a));
        Assert.That(found[0].Expected, Is.EqualTo("nlink 2"));
        Assert.That(found[0].Found, Is.EqualTo("nlink 3"));
    }

    [Test]
    public void ADirectoryCycleCutOffFromTheRootIsInvariant3()
    {
        long d1, d2;
        using (var fs = FormatAndOpen())
        {
            d1 = NewDirectory(fs, FileSystem.RootIno, "d1");
            d2 = NewDirectory(fs, d1, "d2");
            CloseClean(fs);
        }
        // Move d1 into its own child: d1 -> d2 -> d1, and nothing from the root leads there. The root's
        // link count is fixed up so that only the cycle is wrong.
        EditMetadata(
            Sql($"UPDATE dirents SET parent = {d2} WHERE parent = {FileSystem.RootIno} AND ino = {d1}"),
            Sql($"UPDATE inodes SET parent = {d2} WHERE ino = {d1}"),
            Sql($"UPDATE inodes SET nlink = nlink - 1 WHERE ino = {FileSystem.RootIno}"),
            Sql($"UPDATE inodes SET nlink = nlink + 1 WHERE ino = {d2}"));
        var found = ReopenAndCheck();
        Assert.That(found.Select(v => v.Invariant), Has.All.EqualTo(3));
        var unreachable = found.Where(v => v.What.Contains("not reachable", StringComparison.Ordinal)).Select(v => v.Ino);
        Assert.That(unreachable, Is.EquivalentTo(new long?[] { d1, d2 }));
    }

    [Test]
    public void ADirectoryReachableTwiceIsInvariant3()
    {
        long d1, d2;
        using (var fs = FormatAndOpen())
        {
            d1 = NewDirectory(fs, FileSystem.RootIno, "d1");
            d2 = NewDirectory(fs, d1, "d2");
            CloseClean(fs);
        }
        EditMetadata(Sql($"INSERT INTO dirents(parent, key, name, ino, cookie) VALUES ({d2}, 'UP', 'up', {d1}, 1000)"));
        var found = ReopenAndCheck();
        Assert.That(found.Select(v => v.Invariant), Has.All.EqualTo(3));
        Assert.That(found.Where(v => v.Ino == d1).Select(v => v.What), Has.Some.Contains("reachable twice").And.Some.Contains("wrong number of entries"));
    }

    [Test]
    public void AnInodeNoEntryNamesIsInvariant3()
    {
        long a;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", 100, 1);
            NewFile(fs, FileSystem.RootIno, "b", 100, 2);
            CloseClean(fs);
        }
        // The entry goes and the link count with it, but no orphan record keeps the inode: it is lost.
        EditMetadata(
            Sql($"DELETE FROM dirents WHERE parent = {FileSystem.RootIno} AND ino = {a}"),
            Sql($"UPDATE inodes SET nlink = 0 WHERE ino = {a}"));
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(3));
        Assert.That(found[0].Ino, Is.EqualTo(a));
        Assert.That(found[0].What, Does.Contain("not reachable"));
    }

    [Test]
    public void NonZeroBytesPastEndOfFileInTheLastBlockAreInvariant8()
    {
        long a, lastPhysicalBlock;
        const int size = BlockSize + 904;
        using (var fs = FormatAndOpen())
        {
            NewFile(fs, FileSystem.RootIno, "before", 3 * BlockSize, 1);
            a = NewFile(fs, FileSystem.RootIno, "a", size, 2);
            lastPhysicalBlock = FirstExtent(fs, a).PhysicalOffset / BlockSize + 1;
            CloseClean(fs);
        }
        using (var data = new FileStream(Path.Combine(Folder, "data.img"), FileMode.Open, FileAccess.Write))
        {
            data.Position = lastPhysicalBlock * BlockSize + size % BlockSize + 100;
            data.Write("garbage"u8);
        }
        var found = ReopenAndCheck();
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(8));
        Assert.That(found[0].Ino, Is.EqualTo(a));
        Assert.That(found[0].Block, Is.EqualTo(lastPhysicalBlock));
        Assert.That(found[0].Found, Does.Contain($"byte {size % BlockSize + 100} "));
    }

    [Test]
    public void GarbageInsideTheFileOrInFreeBlocksIsNotAViolation()
    {
        // The counterpart: bytes before EOF are the file's own, and free blocks may hold anything.
        long a, physical;
        const int size = BlockSize + 904;
        using (var fs = FormatAndOpen())
        {
            a = NewFile(fs, FileSystem.RootIno, "a", size, 2);
            physical = FirstExtent(fs, a).PhysicalOffset;
            CloseClean(fs);
        }
        using (var data = new FileStream(Path.Combine(Folder, "data.img"), FileMode.Open, FileAccess.Write))
        {
            data.Position = physical + size - 10;
            data.Write("0123456789"u8);
            data.Position = physical + 10 * BlockSize;
            data.Write("garbage"u8);
        }
        Assert.That(ReopenAndCheck(), Is.Empty);
    }
}
