namespace WinReflink.Cli.Tests;

/// <summary>Help for every command, and the scripting helpers (mkdir, ls, rm) working together.</summary>
public class CommandLineTests : CliFixture
{
    private static readonly string[] Commands = ["format", "info", "put", "get", "ls", "mkdir", "rm", "cp", "extents", "check"];
    private static readonly string[] ListedBefore = ["a.bin", "b-dir", "c.bin"];
    private static readonly string[] ListedAfter = ["b-dir", "c.bin"];

    [Test]
    public void HelpWorksForEveryCommand()
    {
        string top = Cli.Ok("--help");
        foreach (string command in Commands)
        {
            Assert.That(top, Does.Contain(command));
            var r = Cli.Run(command, "--help");
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(r.Stdout, Does.Contain("Usage:").And.Contain("winreflink " + command));
            Assert.That(r.Stderr, Is.Empty);
        }
    }

    [Test]
    public void FormatPrintsWhatItCreated()
    {
        string output = Cli.Ok("format", Volume, "--size", "1G", "--block-size", "8K", "--label", "data", "--case-sensitive");
        Assert.That(output, Does.Contain("1073741824 bytes").And.Contain("8192").And.Contain("data").And.Contain("case-sensitive"));
        var info = Json(Cli.Ok("info", Volume, "--json"));
        Assert.Multiple(() =>
        {
            Assert.That(info.GetProperty("capacityBytes").GetInt64(), Is.EqualTo(1L << 30));
            Assert.That(info.GetProperty("freeBytes").GetInt64(), Is.EqualTo(1L << 30));
            Assert.That(info.GetProperty("usedBytes").GetInt64(), Is.Zero);
            Assert.That(info.GetProperty("blockSize").GetInt32(), Is.EqualTo(8192));
            Assert.That(info.GetProperty("caseSensitive").GetBoolean(), Is.True);
            Assert.That(info.GetProperty("label").GetString(), Is.EqualTo("data"));
            Assert.That(info.GetProperty("formatVersion").GetInt32(), Is.EqualTo(6), "docs/on-disk-format.md: the current version");
            Assert.That(info.GetProperty("directories").GetInt64(), Is.EqualTo(1));
            Assert.That(info.GetProperty("serial").GetUInt32(), Is.Not.Zero);
        });
        string human = Cli.Ok("info", Volume);
        Assert.That(human, Does.Contain("1.00 GiB (1073741824 bytes)"));
    }

    [Test]
    public void MkdirLsRm()
    {
        FormatVolume();
        Cli.Ok("mkdir", At("/b-dir"));
        Cli.Ok("mkdir", "-p", At("/b-dir/x/y"));
        Cli.Ok("mkdir", "-p", At("/b-dir/x/y"));
        var (host, data) = HostFile("a.bin", 5000);
        Cli.Ok("put", host, At("/c.bin"));
        Cli.Ok("put", host, At("/a.bin"));

        var entries = Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("name").GetString()), Is.EqualTo(ListedBefore));
        var dir = entries[1];
        Assert.That(dir.GetProperty("type").GetString(), Is.EqualTo("directory"));
        Assert.That(dir.GetProperty("mode").GetString(), Is.EqualTo("drwxr-xr-x"));
        Assert.That(dir.GetProperty("links").GetInt64(), Is.EqualTo(3));
        Assert.That(entries[0].GetProperty("size").GetInt64(), Is.EqualTo(data.Length));
        Assert.That(entries[0].GetProperty("type").GetString(), Is.EqualTo("file"));

        string[] lines = Cli.Ok("ls", At("/")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.StartWith("-").And.EndWith(" a.bin").And.Contain(" 5000 "));
        Assert.That(lines[1], Does.StartWith("d").And.EndWith(" b-dir"));

        string one = Cli.Ok("ls", At("/a.bin"));
        Assert.That(one.Trim(), Does.EndWith(" a.bin"));

        Cli.Ok("rm", At("/a.bin"));
        Cli.Ok("rm", At("/b-dir/x/y"));
        var after = Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString());
        Assert.That(after, Is.EqualTo(ListedAfter));
        Assert.That(Cli.Run("check", Volume).ExitCode, Is.Zero);
    }

    [Test]
    public void VerboseLogsDebugToStderrOnly()
    {
        FormatVolume();
        var r = Cli.Run("info", "--json", "--verbose", Volume);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stderr, Does.Contain("dbug"));
        Assert.That(Json(r.Stdout).GetProperty("capacityBytes").GetInt64(), Is.EqualTo(256L << 20), "stdout stays pure JSON");
    }
}
