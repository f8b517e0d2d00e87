using Microsoft.Data.Sqlite;

namespace WinReflink.Cli.Tests;

/// <summary>check: exit 0 on a clean volume, 1 with a violation line on one damaged on purpose.</summary>
public class CheckTests : CliFixture
{
    [Test]
    public void CleanVolumeExitsZero()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 1 << 20);
        Cli.Ok("put", host, At("/a"));
        Cli.Ok("cp", At("/a"), At("/b"));
        var r = Cli.Run("check", Volume);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.Contain("clean"));
        var json = Json(Cli.Ok("check", Volume, "--json"));
        Assert.That(json.GetProperty("clean").GetBoolean(), Is.True);
        Assert.That(json.GetProperty("violations").GetArrayLength(), Is.Zero);
    }

    /// <summary>With --verbose every phase of the check says what it verified and how long it took, on stderr; --json on stdout is unchanged.</summary>
    [Test]
    public void VerboseCheckTimesEveryPhase()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 1 << 20);
        Cli.Ok("put", host, At("/a"));
        var r = Cli.Run("check", Volume, "--json", "--verbose");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        foreach (string phase in new[] { "SQLite integrity check", "directory tree", "inodes, extents and names", "partial last blocks", "shared ranges", "free ranges" })
        {
            Assert.That(r.Stderr, Does.Match($"check: {phase}: [0-9,]+ in [0-9.]+ s \\([0-9.]+ s of processor\\)"), phase);
        }
        Assert.That(Json(r.Stdout).GetProperty("clean").GetBoolean(), Is.True);
    }

    [Test]
    public void LostFreeSpaceIsReportedAsInvariant2()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 1 << 20);
        Cli.Ok("put", host, At("/a"));
        Sql("DELETE FROM free WHERE start = (SELECT MIN(start) FROM free)");

        var r = Cli.Run("check", Volume);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Some.StartsWith("invariant 2: "));
        Assert.That(lines[^1], Does.Contain("violation"));

        var json = Json(Cli.Run("check", Volume, "--json").Stdout);
        Assert.That(json.GetProperty("clean").GetBoolean(), Is.False);
        var v = json.GetProperty("violations")[0];
        Assert.That(v.GetProperty("invariant").GetInt32(), Is.EqualTo(2));
        Assert.That(v.GetProperty("block").GetInt64(), Is.GreaterThanOrEqualTo(0));
        foreach (string key in new[] { "what", "ino", "expected", "found" })
        {
            Assert.That(v.TryGetProperty(key, out _), Is.True, key);
        }
    }

    [Test]
    public void CheckChangesNothing()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 1 << 20);
        Cli.Ok("put", host, At("/a"));
        Sql("DELETE FROM free");
        byte[] before = File.ReadAllBytes(Path.Combine(Volume, "meta.db"));
        Assert.That(Cli.Run("check", Volume).ExitCode, Is.EqualTo(1));
        Assert.That(File.ReadAllBytes(Path.Combine(Volume, "meta.db")), Is.EqualTo(before));
    }

    private void Sql(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(Volume, "meta.db")};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        Assert.That(cmd.ExecuteNonQuery(), Is.GreaterThan(0));
    }
}
