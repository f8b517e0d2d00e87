using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.BadInput;

/// <summary>
/// Opening a damaged volume throws a one-line <see cref="VolumeException"/> naming the problem, and
/// changes none of the volume's files: meta.db and data.img hash the same before and after, and no
/// WAL is left behind.
/// </summary>
public class BadVolumeTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private string MetaDb => Path.Combine(Folder, "meta.db");
    private string DataImg => Path.Combine(Folder, "data.img");

    /// <summary>A volume with enough files and extents that meta.db spans many pages.</summary>
    private void MakeVolume()
    {
        using var fs = FormatAndOpen(16L << 20);
        var data = new byte[10_000];
        for (int i = 0; i < 300; i++)
        {
            Assert.That(fs.Create(FileSystem.RootIno, "file-" + i.ToString(CultureInfo.InvariantCulture), new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
            if (i % 10 == 0)
            {
                data[0] = (byte)i;
                Assert.That(fs.Write(attr.Ino, i * 3000L, data, out _), Is.EqualTo(FsError.Ok));
            }
        }
    }

    private Dictionary<string, string> VolumeFiles()
    {
        return Directory.EnumerateFiles(Folder)
            .Where(p => Path.GetFileName(p) is not ("lock" or "lock.owner"))
            .ToDictionary(p => Path.GetFileName(p), p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))), StringComparer.Ordinal);
    }

    /// <summary>Open fails with every key word in the message, twice (the failed open released the lock), and nothing changed.</summary>
    private void AssertOpenFails(params string[] keyWords)
    {
        var before = VolumeFiles();
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<VolumeException>(() => FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero }).Dispose());
            TestContext.Out.WriteLine(e!.Message);
            Assert.That(e.Message, Does.Not.Contain('\n'), "the message is one line");
            foreach (string word in keyWords)
            {
                Assert.That(e.Message, Does.Contain(word).IgnoreCase);
            }
        }
        Assert.That(VolumeFiles(), Is.EqualTo(before), "a failed open changed the volume's files");
    }

    private static void Overwrite(string path, long offset, byte[] bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }

    private static byte[] Garbage(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Test]
    public void GarbageOverTheMetaDbHeader()
    {
        MakeVolume();
        Overwrite(MetaDb, 0, Garbage(100, 1));
        AssertOpenFails("meta.db", "corrupt");
    }

    /// <summary>Random bytes over a whole page in the middle of meta.db, for every page past the first: whichever table it hits, SQLite's check sees it.</summary>
    [Test]
    public void GarbagePagesInTheMiddleOfMetaDb()
    {
        MakeVolume();
        byte[] pristine = File.ReadAllBytes(MetaDb);
        const int page = 4096;
        int pages = pristine.Length / page;
        Assert.That(pages, Is.GreaterThan(4), "meta.db should span several pages");
        for (int p = 1; p < pages; p++)
        {
            File.WriteAllBytes(MetaDb, pristine);
            Overwrite(MetaDb, (long)p * page, Garbage(page, p));
            AssertRefusedOrFoundByCheck(p);
        }
    }

    /// <summary>
    /// Open reads only the pages it needs (issue 11): damage elsewhere is not refused at open but found
    /// by `check`, as SQLite's integrity check or an unreadable row, and the volume then takes no changes.
    /// </summary>
    private void AssertRefusedOrFoundByCheck(int page)
    {
        FileSystem fs;
        try
        {
            fs = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero });
        }
        catch (VolumeException e)
        {
            Assert.That(e.Message, Does.Not.Contain('\n'), "the message is one line");
            Assert.That(e.Message, Does.Contain("meta.db").And.Contain("corrupt").IgnoreCase, $"page {page}");
            return;
        }
        using (fs)
        {
            var found = fs.Check();
            Assert.That(found.Where(v => v.Invariant == 9).Select(v => v.What), Has.Some.Contains("meta.db").Or.Some.Contains("checksum"), $"page {page}: {string.Join("; ", found)}");
            Assert.That(fs.IsReadOnly, Is.True, $"page {page}: a volume check found damaged takes no changes");
        }
    }

    /// <summary>
    /// A few random bytes inside rows. SQLite keeps no checksums, so damage to a value can go unseen;
    /// what must never happen is an open that fails any other way than with a VolumeException naming
    /// meta.db (and leaving the files alone), or a volume that opens but cannot be checked and closed.
    /// </summary>
    [Test]
    public void RandomBytesInsideMetaDbRows()
    {
        MakeVolume();
        byte[] pristine = File.ReadAllBytes(MetaDb);
        var random = new Random(5);
        int detected = 0, opened = 0;
        for (int trial = 0; trial < 60; trial++)
        {
            File.WriteAllBytes(MetaDb, pristine);
            long offset = random.NextInt64(4096, pristine.Length - 8);
            Overwrite(MetaDb, offset, Garbage(random.Next(1, 9), trial));
            var before = VolumeFiles();
            FileSystem? fs = null;
            try
            {
                fs = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero });
            }
            catch (VolumeException e)
            {
                Assert.That(e.Message, Does.Contain("meta.db").And.Not.Contain('\n'), $"damage at {offset}");
                Assert.That(VolumeFiles(), Is.EqualTo(before), $"a failed open changed the volume's files (damage at {offset})");
                detected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"damage at meta.db offset {offset}: open threw {e.GetType().Name} instead of VolumeException: {e.Message}");
            }
            using (fs)
            {
                Assert.DoesNotThrow(() => fs!.Check(), $"damage at {offset}");
            }
            opened++;
        }
        TestContext.Out.WriteLine($"{detected} detected, {opened} opened");
    }

    [TestCase(0)]
    [TestCase(50)]
    [TestCase(4096)]
    public void TruncatedMetaDb(int length)
    {
        MakeVolume();
        using (var f = new FileStream(MetaDb, FileMode.Open, FileAccess.Write))
        {
            f.SetLength(length);
        }
        AssertOpenFails("meta.db");
    }

    [Test]
    public void MetaDbTruncatedToHalf()
    {
        MakeVolume();
        long half = new FileInfo(MetaDb).Length / 2;
        using (var f = new FileStream(MetaDb, FileMode.Open, FileAccess.Write))
        {
            f.SetLength(half);
        }
        AssertOpenFails("meta.db", "corrupt");
    }

    [Test]
    public void MissingMetaDb()
    {
        MakeVolume();
        File.Delete(MetaDb);
        AssertOpenFails("meta.db", "missing");
    }

    [Test]
    public void TruncatedDataImg()
    {
        MakeVolume();
        using (var f = new FileStream(DataImg, FileMode.Open, FileAccess.Write))
        {
            f.SetLength(f.Length / 2);
        }
        AssertOpenFails("data.img", "truncated");
    }

    [Test]
    public void MissingDataImg()
    {
        MakeVolume();
        File.Delete(DataImg);
        AssertOpenFails("data.img", "missing");
    }

    [Test]
    public void MissingFolder()
    {
        var e = Assert.Throws<VolumeException>(() => FileSystem.Open(Folder).Dispose());
        Assert.That(e!.Message, Does.Contain("does not exist"));
        Assert.That(Directory.Exists(Folder), Is.False, "open created the folder");
    }

    [Test]
    public void AnotherFormatVersion()
    {
        MakeVolume();
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = MetaDb, Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"UPDATE settings SET value = '{VolumeSettings.CurrentFormatVersion + 1}' WHERE key = 'format_version'";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }
        AssertOpenFails("meta.db", $"format version {VolumeSettings.CurrentFormatVersion + 1}", $"versions 1 to {VolumeSettings.CurrentFormatVersion}");
    }

    [Test]
    public void ImpossibleBlockSize()
    {
        MakeVolume();
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = MetaDb, Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE settings SET value = '1000' WHERE key = 'block_size'";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }
        AssertOpenFails("meta.db", "block size 1000", "corrupt");
    }

    [Test]
    public void NotAVolumeDatabase()
    {
        MakeVolume();
        File.Delete(MetaDb);
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = MetaDb, Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE something(x INTEGER)";
            cmd.ExecuteNonQuery();
        }
        AssertOpenFails("meta.db", "not a WinReflink");
    }
}
