using System.Text.Json;

namespace WinReflink.Wine.Tests;

/// <summary>
/// The win-x64 CLI run under wine64 in one fresh prefix for the whole fixture, with a Linux temp
/// folder per test that the Windows program sees under Z:.
/// </summary>
public abstract class WindowsCliFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private WinePrefix? _prefix;
    private string _exe = "";

    /// <summary>This test's Linux folder.</summary>
    protected string Temp { get; private set; } = "";

    private protected WinePrefix Prefix => _prefix ?? throw new InvalidOperationException("no prefix");

    [OneTimeSetUp]
    public void MakePrefix()
    {
        _exe = RepoPaths.RequireWindowsCli();
        _prefix = WinePrefix.Create();
    }

    [OneTimeTearDown]
    public void RemovePrefix() => _prefix?.Dispose();

    [SetUp]
    public void CreateTemp()
    {
        Temp = Path.Combine(Path.GetTempPath(), "wrl-winecli-" + Guid.NewGuid().ToString("N"));
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

    /// <summary>A path inside this test's folder as the Windows program writes it (Z:\...).</summary>
    protected string Win(string name) => WinePrefix.ToWindows(Path.Combine(Temp, name));

    private protected ProcessResult Windows(params string[] args) => Prefix.RunWindows(_exe, args, Timeout);

    /// <summary>Runs the Windows CLI and asserts exit 0, returning stdout.</summary>
    protected string WindowsOk(params string[] args)
    {
        var r = Windows(args);
        Assert.That(r.ExitCode, Is.Zero, $"winreflink.exe {string.Join(' ', args)}\n{r}");
        return r.Stdout;
    }

    protected (string Path, byte[] Data) HostFile(string name, int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        string path = Path.Combine(Temp, name);
        File.WriteAllBytes(path, data);
        return (path, data);
    }

    protected static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    /// <summary>A failure under Windows too is one "winreflink: ..." line, the exit code, nothing on stdout.</summary>
    private protected static void AssertOneLineError(ProcessResult r, int exitCode, string mentions)
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
