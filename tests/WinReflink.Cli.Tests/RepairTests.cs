using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace WinReflink.Cli.Tests;

/// <summary>`check --repair [--dry-run]` through the real CLI, and info/check on damaged volumes.</summary>
public class RepairTests : CliFixture
{
    private string MetaDb => Path.Combine(Volume, "meta.db");

    private void MakeVolume()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 300_000);
        Cli.Ok("mkdir", At("/dir"));
        Cli.Ok("put", host, At("/dir/a"));
        Cli.Ok("cp", At("/dir/a"), At("/copy"));
    }

    [Test]
    public void RepairReportsEachRepairAndLeavesTheVolumeClean()
    {
        MakeVolume();
        Sql("DELETE FROM free WHERE start = (SELECT MAX(start) FROM free)");
        Sql("DELETE FROM shared");
        Assert.That(Cli.Run("check", Volume).ExitCode, Is.EqualTo(1));

        string before = Hash();
        var dry = Cli.Run("check", Volume, "--repair", "--dry-run");
        Assert.That(dry.ExitCode, Is.Zero, dry.ToString());
        Assert.That(dry.Stdout, Does.Contain("would repair: rebuilt free space").And.Contain("would repair: rebuilt the shared table").And.Contain("dry run, nothing written"));
        Assert.That(Hash(), Is.EqualTo(before), "a dry run wrote to meta.db");

        var repair = Cli.Run("check", Volume, "--repair");
        Assert.That(repair.ExitCode, Is.Zero, repair.ToString());
        Assert.That(repair.Stdout, Does.Contain("repaired: rebuilt free space").And.Contain("repaired: rebuilt the shared table"));
        Assert.That(repair.Stdout.TrimEnd(), Does.EndWith("2 repairs made; clean"));
        Assert.That(repair.Stderr, Is.Empty, "repairing a damaged volume is not an error");

        var check = Cli.Run("check", Volume);
        Assert.That(check.ExitCode, Is.Zero, check.ToString());
        var again = Json(Cli.Ok("check", Volume, "--repair", "--json"));
        Assert.That(again.GetProperty("clean").GetBoolean(), Is.True);
        Assert.That(again.GetProperty("repairs").GetArrayLength(), Is.Zero);
    }

    [Test]
    public void RepairJsonSaysWhyItRefused()
    {
        MakeVolume();
        Sql("UPDATE inodes SET nlink = 9 WHERE ino = (SELECT ino FROM dirents WHERE name = 'copy')");
        var r = Cli.Run("check", Volume, "--repair", "--json");
        // The changed inode row fails its checksum and its link count is wrong: the repair cannot tell which to trust.
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var json = Json(r.Stdout);
        Assert.That(json.GetProperty("clean").GetBoolean(), Is.False);
        Assert.That(json.GetProperty("written").GetBoolean(), Is.False);
        Assert.That(json.GetProperty("refused").GetString(), Does.Contain("checksum"));
        Assert.That(json.GetProperty("violations").GetArrayLength(), Is.GreaterThan(0));
    }

    [Test]
    public void WhatCannotBeRepairedIsRefusedWithTheReason()
    {
        MakeVolume();
        Sql("UPDATE inodes SET mode = 61860 WHERE ino = (SELECT ino FROM dirents WHERE name = 'copy')");
        string before = Hash();
        var r = Cli.Run("check", Volume, "--repair");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("unknown file type").And.Contain("not repaired, nothing written"));
        Assert.That(Hash(), Is.EqualTo(before));
    }

    [Test]
    public void DryRunWithoutRepairIsAUsageError()
    {
        MakeVolume();
        AssertOneLineError(Cli.Run("check", Volume, "--dry-run"), 2, "--dry-run needs --repair");
    }

    /// <summary>info and check on damaged volumes: a report, or one error line, never a trace.</summary>
    [Test]
    public void InfoAndCheckOnDamagedVolumesSayWhatIsWrongInOneLine()
    {
        MakeVolume();
        string pristine = Path.Combine(Temp, "pristine");
        CopyFolder(Volume, pristine);
        string[] damages =
        [
            "truncate meta.db", "zero meta.db page 2", "truncate data.img", "UPDATE settings SET value = 'x' WHERE key = 'block_size'",
            "UPDATE dirents SET ino = 4242 WHERE name = 'copy'", "UPDATE extents SET length = -1", "UPDATE inodes SET size = -1",
        ];
        foreach (string damage in damages)
        {
            Directory.Delete(Volume, recursive: true);
            CopyFolder(pristine, Volume);
            Damage(damage);
            foreach (string command in new[] { "info", "check" })
            {
                var r = Cli.Run(command, Volume);
                TestContext.Out.WriteLine($"{damage}: {command}: exit {r.ExitCode}: {r.Stderr.Trim()} {r.Stdout.Split('\n').FirstOrDefault()}");
                Assert.That(r.Stderr, Does.Not.Contain("   at ").And.Not.Contain("unexpected"), $"{damage}: {command}");
                if (command == "check")
                {
                    Assert.That(r.ExitCode, Is.EqualTo(1), $"{damage}: check finds it\n{r}");
                }
                if (r.ExitCode != 0 && r.Stdout.Length == 0)
                {
                    AssertOneLineError(r, 1, "");
                }
                else if (command == "info")
                {
                    Assert.That(r.Stderr, Does.Contain("is damaged").Or.Empty, $"{damage}: info\n{r}");
                }
            }
        }
    }

    private void Damage(string damage)
    {
        string data = Path.Combine(Volume, "data.img");
        if (damage == "truncate meta.db")
        {
            using var f = new FileStream(MetaDb, FileMode.Open);
            f.SetLength(f.Length / 3);
        }
        else if (damage == "zero meta.db page 2")
        {
            using var f = new FileStream(MetaDb, FileMode.Open);
            f.Position = 4096;
            f.Write(new byte[4096]);
        }
        else if (damage == "truncate data.img")
        {
            using var f = new FileStream(data, FileMode.Open);
            f.SetLength(f.Length / 2);
        }
        else
        {
            Sql(damage);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private void Sql(string sql)
    {
        using var db = new SqliteConnection($"Data Source={MetaDb};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        Assert.That(cmd.ExecuteNonQuery(), Is.GreaterThan(0), sql);
    }

    private string Hash() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(MetaDb)));
}
