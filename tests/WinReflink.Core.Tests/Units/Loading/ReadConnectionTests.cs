using System.Text;
using Microsoft.Data.Sqlite;
using WinReflink.Core.Metadata;

namespace WinReflink.Core.Tests.Units.Loading;

/// <summary>
/// The raw read path inodes load through: <see cref="ReadConnection"/> (SQLite's API, no mutex, mapped)
/// and <see cref="RowReader"/> on its statements, against a small database made through ADO.NET.
/// </summary>
public class ReadConnectionTests
{
    private const string Name = "Grüße, 名前 ✓ 𝄞";
    private string _path = "";

    [SetUp]
    public void MakeDatabase()
    {
        _path = Path.Combine(Path.GetTempPath(), "wrl-read-" + Guid.NewGuid().ToString("N") + ".db");
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB, other);"
            + "INSERT INTO t VALUES (1, $name, x'00ff10', NULL), (2, 'plain', x'', 7);";
        command.Parameters.AddWithValue("$name", Name);
        command.ExecuteNonQuery();
    }

    [TearDown]
    public void RemoveDatabase()
    {
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    [Test]
    public void ReadsIntegersTextBlobsAndNullsAsStored()
    {
        using var db = new ReadConnection(_path);
        using var row = db.Prepare("SELECT id, name, data, other FROM t WHERE id = ?1");
        row.Bind(1, 1);
        Assert.That(row.Read(), Is.True);
        Assert.That(row.GetInt64(0), Is.EqualTo(1));
        Assert.That(row.GetString(1), Is.EqualTo(Name));
        Assert.That(row.RawUtf8(1).ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes(Name)));
        Assert.That(row.GetBlob(2), Is.EqualTo(new byte[] { 0x00, 0xff, 0x10 }));
        Assert.That(row.IsDBNull(3), Is.True);
        Assert.That(row.GetValue(3), Is.Null);
        Assert.That(row.Read(), Is.False);

        row.Reset();
        row.Bind(1, 2);
        Assert.That(row.Read(), Is.True);
        Assert.That(row.GetInt64(0), Is.EqualTo(2));
        Assert.That(row.GetBlob(2), Is.Empty, "an empty blob is a blob, not null");
        Assert.That(row.GetValue(3), Is.EqualTo(7L));
    }

    /// <summary>RowReader keeps each column's type and integer for the current row; stepping on must not show the last row's.</summary>
    [Test]
    public void EachRowShowsItsOwnValues()
    {
        using var db = new ReadConnection(_path);
        using var rows = db.Prepare("SELECT id, other FROM t ORDER BY id");
        var seen = new List<(long, object?)>();
        while (rows.Read())
        {
            seen.Add((rows.GetInt64(0), rows.GetValue(1)));
        }
        Assert.That(seen, Is.EqualTo(new[] { (1L, (object?)null), (2L, 7L) }));
    }

    [Test]
    public void AValueOfTheWrongTypeIsRefusedNamingItsColumn()
    {
        using var db = new ReadConnection(_path);
        using var row = db.Prepare("SELECT id, name, other FROM t WHERE id = 1");
        Assert.That(row.Read(), Is.True);
        Assert.That(() => row.GetInt64(1), Throws.TypeOf<InvalidCastException>().With.Message.Contains("column name holds text"));
        Assert.That(() => row.GetString(2), Throws.TypeOf<InvalidCastException>().With.Message.Contains("column other holds null"));
    }

    /// <summary>The loader verifies rows on this path: the checksum of a row must not depend on which reader read it.</summary>
    [Test]
    public void ChecksumsOverTheRawReaderMatchThoseOverADONet()
    {
        var checksums = new RowChecksums();
        long raw;
        using (var db = new ReadConnection(_path))
        using (var row = db.Prepare("SELECT id, name, data, other FROM t WHERE id = 1"))
        {
            Assert.That(row.Read(), Is.True);
            raw = checksums.Of("t", row, 4);
        }
        using var ado = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        ado.Open();
        using var command = ado.CreateCommand();
        command.CommandText = "SELECT id, name, data, other FROM t WHERE id = 1";
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read(), Is.True);
        Assert.That(checksums.Of("t", reader, 4), Is.EqualTo(raw));
    }

    /// <summary>An error SQLite reports while stepping comes with its message, and a reset makes the query usable again.</summary>
    [Test]
    public void AnErrorCarriesSQLitesMessageAndAResetRecovers()
    {
        using var db = new ReadConnection(_path);
        using var row = db.Prepare("SELECT abs(?1)");
        row.Bind(1, long.MinValue);
        Assert.That(() => row.Read(), Throws.TypeOf<SqliteException>().With.Message.Contains("integer overflow"));
        row.Reset();
        row.Bind(1, -5);
        Assert.That(row.Read(), Is.True);
        Assert.That(row.GetInt64(0), Is.EqualTo(5));
    }

    [Test]
    public void AQuerySQLiteRefusesThrowsAtPrepare()
    {
        using var db = new ReadConnection(_path);
        Assert.That(() => db.Prepare("SELECT x FROM nowhere"), Throws.TypeOf<SqliteException>().With.Message.Contains("no such table"));
    }

    [Test]
    public void TheConnectionIsReadOnly()
    {
        using var db = new ReadConnection(_path);
        using var insert = db.Prepare("INSERT INTO t VALUES (3, 'x', x'', NULL)");
        Assert.That(() => insert.Read(), Throws.TypeOf<SqliteException>().With.Message.Contains("readonly"));
    }

    [Test]
    public void AFileThatIsNotADatabaseIsRefused()
    {
        var junk = new byte[8192];
        new Random(1).NextBytes(junk);
        File.WriteAllBytes(_path + ".junk", junk);
        try
        {
            // SQLite reads the file when a query first needs the schema.
            using (var db = new ReadConnection(_path + ".junk"))
            {
                Assert.That(() => db.Prepare("SELECT 1 FROM sqlite_master"), Throws.TypeOf<SqliteException>().With.Message.Contains("not a database"));
            }
            Assert.That(() => new ReadConnection(_path + ".missing").Dispose(), Throws.TypeOf<SqliteException>().With.Message.Contains("unable to open"));
        }
        finally
        {
            File.Delete(_path + ".junk");
        }
    }

    /// <summary>Queries between BeginRead and EndRead read one snapshot; a commit in between shows only after EndRead.</summary>
    [Test]
    public void AReadTransactionReadsOneSnapshot()
    {
        using var db = new ReadConnection(_path);
        using var count = db.Prepare("SELECT count(*) FROM t");
        using var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        writer.Open();
        db.BeginRead();
        Assert.That(Count(count), Is.EqualTo(2));
        using (var insert = writer.CreateCommand())
        {
            insert.CommandText = "INSERT INTO t VALUES (3, 'x', x'', NULL)";
            insert.ExecuteNonQuery();
        }
        Assert.That(Count(count), Is.EqualTo(2), "the snapshot holds inside the transaction");
        db.EndRead();
        Assert.That(Count(count), Is.EqualTo(3));
        db.EndRead();
        Assert.That(Count(count), Is.EqualTo(3), "ending with no transaction open does nothing");
    }

    private static long Count(RowReader count)
    {
        count.Reset();
        Assert.That(count.Read(), Is.True);
        long n = count.GetInt64(0);
        count.Reset();
        return n;
    }
}
