using System.Text.Json;

namespace WinReflink.Cli.Tests;

/// <summary>A temp folder per test for volumes and host files, removed afterwards.</summary>
public abstract class CliFixture
{
    protected string Temp { get; private set; } = "";

    /// <summary>A volume folder path inside <see cref="Temp"/> (not yet formatted).</summary>
    protected string Volume => Path.Combine(Temp, "vol.wrl");

    [SetUp]
    public void CreateTemp()
    {
        Temp = Path.Combine(Path.GetTempPath(), "wrl-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Temp);
    }

    [TearDown]
    public void RemoveTemp()
    {
        if (Directory.Exists(Temp))
        {
            Directory.Delete(Temp, recursive: true);
        }
    }

    protected string FormatVolume(string size = "256M")
    {
        Cli.Ok("format", Volume, "--size", size);
        return Volume;
    }

    protected string At(string path) => Volume + ":" + path;

    /// <summary>Writes a host file of random bytes (seeded), returning its path and content.</summary>
    protected (string Path, byte[] Data) HostFile(string name, int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        string path = System.IO.Path.Combine(Temp, name);
        File.WriteAllBytes(path, data);
        return (path, data);
    }

    protected static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    /// <summary>A failure is exactly one line, "winreflink: ...", with the expected exit code and nothing on stdout.</summary>
    protected static void AssertOneLineError(CliResult r, int exitCode, string mentions)
    {
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.ToString());
            Assert.That(r.StderrLines, Has.Length.EqualTo(1), r.ToString());
            Assert.That(r.Stderr, Does.StartWith("winreflink: "), r.ToString());
            Assert.That(r.Stderr, Does.Contain(mentions), r.ToString());
            Assert.That(r.Stderr, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(r.Stdout, Is.Empty, r.ToString());
        });
    }
}
