using Microsoft.Data.Sqlite;
using WinReflink.Core;

namespace WinReflink.Cli.Tests;

/// <summary>Every bad input: one "winreflink: ..." line on stderr, exit 1 (operation) or 2 (usage), nothing changed.</summary>
public class BadInputTests : CliFixture
{
    [Test]
    public void MissingVolume() =>
        AssertOneLineError(Cli.Run("info", Path.Combine(Temp, "nope.wrl")), 1, "does not exist");

    [Test]
    public void MissingParentDirectory()
    {
        FormatVolume();
        var (host, _) = HostFile("a.bin", 1000);
        AssertOneLineError(Cli.Run("put", host, At("/no/such/a.bin")), 1, "parent directory /no/such does not exist");
        AssertOneLineError(Cli.Run("mkdir", At("/no/dir")), 1, "parent directory /no does not exist");
        AssertOneLineError(Cli.Run("cp", At("/missing"), At("/b")), 1, "no such file or directory");
    }

    [TestCase("12Q")]
    [TestCase("G")]
    [TestCase("-5G")]
    [TestCase("1.0000001K")]
    public void InvalidSize(string size)
    {
        AssertOneLineError(Cli.Run("format", Volume, "--size", size), 2, "--size");
        Assert.That(Directory.Exists(Volume), Is.False, "nothing created");
    }

    [Test]
    public void FormatOverANonEmptyFolder()
    {
        Directory.CreateDirectory(Volume);
        File.WriteAllText(Path.Combine(Volume, "keep.txt"), "mine");
        AssertOneLineError(Cli.Run("format", Volume, "--size", "64M"), 1, "not empty");
        Assert.That(Directory.GetFileSystemEntries(Volume), Has.Length.EqualTo(1));
    }

    [Test]
    public void FormatOverAVolume()
    {
        FormatVolume();
        AssertOneLineError(Cli.Run("format", Volume, "--size", "64M"), 1, "already a WinReflink volume");
    }

    [Test]
    public void VolumeInUse()
    {
        FormatVolume();
        using (FileSystem.Open(Volume, new OpenOptions()))
        {
            var r = Cli.Run("info", Volume);
            AssertOneLineError(r, 1, "in use");
            Assert.That(r.Stderr, Does.Contain(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)), "names the holder");
            AssertOneLineError(Cli.Run("check", Volume), 1, "in use");
        }
        Assert.That(Cli.Run("info", Volume).ExitCode, Is.Zero, "usable once released");
    }

    [Test]
    public void NameLongerThan255Characters()
    {
        FormatVolume();
        string name = new('n', 256);
        var (host, _) = HostFile("a.bin", 1000);
        AssertOneLineError(Cli.Run("mkdir", At("/" + name)), 1, "file name too long");
        AssertOneLineError(Cli.Run("put", host, At("/" + name)), 1, "file name too long");
        Assert.That(Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries").GetArrayLength(), Is.Zero);
    }

    [Test]
    public void AnotherFormatVersion()
    {
        FormatVolume();
        Sql("UPDATE settings SET value = '99' WHERE key = 'format_version'");
        AssertOneLineError(Cli.Run("info", Volume), 1, "format version 99");
        AssertOneLineError(Cli.Run("check", Volume), 1, "format version 99");
    }

    [Test]
    public void TruncatedDataFile()
    {
        FormatVolume();
        using (var data = new FileStream(Path.Combine(Volume, "data.img"), FileMode.Open))
        {
            data.SetLength(data.Length / 2);
        }
        AssertOneLineError(Cli.Run("ls", At("/")), 1, "truncated");
    }

    [Test]
    public void CorruptMetadata()
    {
        FormatVolume();
        using (var meta = new FileStream(Path.Combine(Volume, "meta.db"), FileMode.Open))
        {
            var garbage = new byte[100];
            new Random(7).NextBytes(garbage);
            meta.Write(garbage);
        }
        AssertOneLineError(Cli.Run("info", Volume), 1, "meta.db is corrupt");
        AssertOneLineError(Cli.Run("check", Volume, "--json"), 1, "meta.db is corrupt");
    }

    [Test]
    public void NotAVolume()
    {
        Directory.CreateDirectory(Volume);
        AssertOneLineError(Cli.Run("info", Volume), 1, "not a WinReflink volume");
    }

    [TestCase(new[] { "bogus" }, "unknown command 'bogus'")]
    [TestCase(new string[0], "Required command")]
    [TestCase(new[] { "info" }, "Required argument missing")]
    [TestCase(new[] { "info", "a", "b" }, "unexpected argument 'b'")]
    [TestCase(new[] { "ls", "--long", "v:/" }, "unknown option '--long'")]
    [TestCase(new[] { "ls", "no-colon" }, "is not VOLUME:/path")]
    [TestCase(new[] { "cp", "--reflink=sometimes", "v:/a", "v:/b" }, "--reflink")]
    [TestCase(new[] { "format", "v", "--block-size", "4X" }, "--block-size")]
    public void UsageErrors(string[] args, string mentions) => AssertOneLineError(Cli.Run(args), 2, mentions);

    [Test]
    public void RemovingANonEmptyDirectory()
    {
        FormatVolume();
        Cli.Ok("mkdir", "-p", At("/d/e"));
        AssertOneLineError(Cli.Run("rm", At("/d")), 1, "directory not empty");
        AssertOneLineError(Cli.Run("rm", At("/")), 1, "root directory");
    }

    [Test]
    public void HostFileProblems()
    {
        FormatVolume();
        AssertOneLineError(Cli.Run("put", Path.Combine(Temp, "absent.bin"), At("/x")), 1, "no such file");
        AssertOneLineError(Cli.Run("put", Temp, At("/x")), 1, "is a directory");
        AssertOneLineError(Cli.Run("get", At("/"), Path.Combine(Temp, "x")), 1, "is a directory");
        Assert.That(Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries").GetArrayLength(), Is.Zero, "no file left behind");
    }

    private void Sql(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(Volume, "meta.db")};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
    }
}
