using System.Diagnostics;
using WinReflink.Core;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// (b) The win-x64 CLI under Wine, `winreflink.exe mount VOLUME R:`, finding the stand-in DLL as it
/// would find WinFsp: through HKLM\SOFTWARE\WinFsp InstallDir in the 32-bit view (reference 1.1).
/// The stand-in runs every scenario through the real Windows build's callbacks; then SIGINT, which
/// Wine delivers as Ctrl+C (wine.md), must unmount with exit 0 and a volume that checks clean.
/// </summary>
public class WineMountTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);
    private WinePrefix? _prefix;
    private string _temp = "";
    private ScenarioReport _report = null!;
    private ProcessResult _mount = null!;
    private IReadOnlyList<Core.Check.Violation> _violations = [];

    public static IEnumerable<string> Scenarios() => StandIn.ScenarioNames();

    [OneTimeSetUp]
    public void RunEveryScenarioUnderWine()
    {
        string exe = RepoPaths.RequireWindowsCli();
        _prefix = StandIn.CreateWinePrefix();

        _temp = Path.Combine(Path.GetTempPath(), "wrl-winemount-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
        string volume = Path.Combine(_temp, "v.wrl");
        string reportPath = Path.Combine(_temp, "report.txt");
        FileSystem.Format(volume, new FormatOptions { SizeBytes = 4L << 30 });

        var env = new Dictionary<string, string>
        {
            ["WINFSP_STANDIN_SCENARIOS"] = WinePrefix.ToWindows(StandIn.Scenarios),
            ["WINFSP_STANDIN_REPORT"] = WinePrefix.ToWindows(reportPath),
        };
        // --verbose: if the mount fails, its stderr holds the failing call's stack, not only its one line.
        using var mount = _prefix.StartWindows(exe, ["mount", "--verbose", WinePrefix.ToWindows(volume), "R:"], env);
        var stdout = mount.StandardOutput.ReadToEndAsync();
        var stderr = mount.StandardError.ReadToEndAsync();
        try
        {
            _report = ScenarioReport.WaitForDone(reportPath, RunTimeout,
                () => mount.HasExited ? $"exit {mount.ExitCode}\n{stdout.Result}{stderr.Result}" : null);
            Interrupt(mount);
            Assert.That(mount.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "the mount did not end after Ctrl+C");
        }
        finally
        {
            if (!mount.HasExited)
            {
                mount.Kill(entireProcessTree: true);
                mount.WaitForExit();
            }
        }
        _mount = new ProcessResult(mount.ExitCode, stdout.Result, stderr.Result);
        _prefix.WaitForServer();
        using (var check = FileSystem.Open(volume, new OpenOptions { ReadOnly = true }))
        {
            _violations = check.Check();
        }
        foreach (string line in _report.Lines.Where(l => !l.StartsWith("PASS", StringComparison.Ordinal)))
        {
            TestContext.Progress.WriteLine("stand-in (Wine): " + line);
        }
    }

    /// <summary>SIGINT to the Windows program's own Linux process arrives as Ctrl+C (wine.md).</summary>
    private static void Interrupt(Process loader)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", loader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.That(kill.ExitCode, Is.Zero, "kill -INT");
    }

    [OneTimeTearDown]
    public void RemovePrefix()
    {
        _prefix?.Dispose();
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    [TestCaseSource(nameof(Scenarios))]
    public void Scenario(string name) => _report.AssertPassed(name);

    [Test]
    public void CtrlCUnmountsWithExitZero()
    {
        Assert.That(_mount.ExitCode, Is.Zero, _mount.ToString());
        Assert.That(_mount.Stdout, Does.Contain("mounted").And.Contain("R:"), _mount.ToString());
        Assert.That(_mount.Stdout, Does.Contain("volume closed cleanly"), _mount.ToString());
    }

    [Test]
    public void UnmountFromAnotherProcessAndASecondMountOfTheSameLetter()
    {
        var prefix = _prefix!;
        string exe = RepoPaths.RequireWindowsCli();
        string script = Path.Combine(_temp, "no-scenarios.txt");
        string reportPath = Path.Combine(_temp, "report-unmount.txt");
        File.WriteAllText(script, "# nothing to run: the mount only has to stay up\n");
        string first = Path.Combine(_temp, "first.wrl"), second = Path.Combine(_temp, "second.wrl");
        FileSystem.Format(first, new FormatOptions { SizeBytes = 256L << 20 });
        FileSystem.Format(second, new FormatOptions { SizeBytes = 256L << 20 });
        var env = new Dictionary<string, string>
        {
            ["WINFSP_STANDIN_SCENARIOS"] = WinePrefix.ToWindows(script),
            ["WINFSP_STANDIN_REPORT"] = WinePrefix.ToWindows(reportPath),
        };
        using var mount = prefix.StartWindows(exe, ["mount", WinePrefix.ToWindows(first), "R:"], env);
        var stdout = mount.StandardOutput.ReadToEndAsync();
        var stderr = mount.StandardError.ReadToEndAsync();
        try
        {
            ScenarioReport.WaitForDone(reportPath, TimeSpan.FromMinutes(2), () => mount.HasExited ? $"exit {mount.ExitCode}\n{stdout.Result}{stderr.Result}" : null);
            var again = prefix.RunWindows(exe, ["mount", WinePrefix.ToWindows(second), "R:"], TimeSpan.FromMinutes(2));
            Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
            Assert.That(again.StderrLines, Has.Length.EqualTo(1).And.Some.Contains("R:"), again.ToString());
            var unmount = prefix.RunWindows(exe, ["unmount", "R:"], TimeSpan.FromMinutes(2));
            Assert.That(unmount.ExitCode, Is.Zero, unmount.ToString());
            Assert.That(mount.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "the mount did not end after unmount R:");
        }
        finally
        {
            if (!mount.HasExited)
            {
                mount.Kill(entireProcessTree: true);
                mount.WaitForExit();
            }
        }
        Assert.That(mount.ExitCode, Is.Zero, stdout.Result + stderr.Result);
        Assert.That(stdout.Result, Does.Contain("volume closed cleanly"));
        var none = prefix.RunWindows(exe, ["unmount", "R:"], TimeSpan.FromMinutes(2));
        Assert.That(none.ExitCode, Is.EqualTo(1), "nothing is mounted at R: any more\n" + none);
        prefix.WaitForServer();
        using var check = FileSystem.Open(first, new OpenOptions { ReadOnly = true });
        Assert.That(check.Check(), Is.Empty);
    }

    [Test]
    public void TheVolumeChecksCleanOnLinuxAfterward() =>
        Assert.That(_violations.Select(v => v.ToString()), Is.Empty);

    [Test]
    public void TheThroughputIsMeasured() =>
        Assert.That(_report.Bench.Count(l => l.Contains("MB/s", StringComparison.Ordinal)), Is.EqualTo(4), string.Join('\n', _report.Lines));
}
