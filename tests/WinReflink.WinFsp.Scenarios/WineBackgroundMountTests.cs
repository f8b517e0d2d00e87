using System.Text.RegularExpressions;
using WinReflink.Core;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// `winreflink.exe mount --background` under Wine, the mount served through the stand-in DLL found as
/// WinFsp is (reference 1.1): the command returns once the detached mount process serves the volume, that
/// process holds the drive until `winreflink.exe unmount R:`, and a mount that cannot start is the
/// command's own one-line error. The stand-in has no driver, so R: does not answer DeviceIoControl here;
/// that the mount serves is shown by the drive being claimed and by its log.
/// </summary>
public partial class WineBackgroundMountTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private WinePrefix? _prefix;
    private string _temp = "";
    private string _exe = "";
    private Dictionary<string, string> _env = [];

    [OneTimeSetUp]
    public void InstallTheStandIn()
    {
        _exe = RepoPaths.RequireWindowsCli();
        _prefix = StandIn.CreateWinePrefix();
        _temp = Path.Combine(Path.GetTempPath(), "wrl-winebg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
        string script = Path.Combine(_temp, "no-scenarios.txt");
        File.WriteAllText(script, "# nothing to run: the mount only has to stay up\n");
        _env = new Dictionary<string, string>
        {
            ["WINFSP_STANDIN_SCENARIOS"] = WinePrefix.ToWindows(script),
            ["WINFSP_STANDIN_REPORT"] = WinePrefix.ToWindows(Path.Combine(_temp, "report.txt")),
        };
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

    private WinePrefix Prefix => _prefix!;

    private ProcessResult Windows(params string[] args) => Prefix.Run(WinePrefix.Loader, [_exe, .. args], Timeout, _env);

    /// <summary>
    /// Runs with the loader's stderr sent to a file rather than a pipe: a child started with a console of its
    /// own keeps the wine process's Linux fd 2 under Wine 8 (its redirected stderr handle is not put there),
    /// so a pipe read to its end would wait for the unmount. On Windows the child holds only the handles it
    /// was given, which the command closes.
    /// </summary>
    private ProcessResult WindowsStderrToFile(params string[] args)
    {
        string errors = Path.Combine(_temp, "stderr-" + Guid.NewGuid().ToString("N") + ".txt");
        var env = new Dictionary<string, string>(_env) { ["WRL_STDERR"] = errors };
        var r = Prefix.Run("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>\"$WRL_STDERR\"", WinePrefix.Loader, _exe, .. args], Timeout, env);
        return new ProcessResult(r.ExitCode, r.Stdout, File.ReadAllText(errors));
    }

    [Test]
    public void ReturnsOnceMountedAndUnmountEndsTheMountProcess()
    {
        string volume = Path.Combine(_temp, "bg.wrl");
        FileSystem.Format(volume, new FormatOptions { SizeBytes = 256L << 20, Label = "bg" });

        var mount = WindowsStderrToFile("mount", WinePrefix.ToWindows(volume), "r:", "--background");
        Assert.That(mount.ExitCode, Is.Zero, mount.ToString());
        Assert.That(mount.Stdout, Does.Contain("in the background").And.Contain("at R:").And.Contain("winreflink unmount R:"), mount.ToString());
        Assert.That(mount.Stderr, Is.Empty, mount.ToString());
        string log = LinuxPathOfLog(mount.Stdout);
        Assert.That(File.ReadAllText(log), Does.Contain("mounted").And.Contain("R:"), "the mount process writes to its log, not the caller's console");

        // The mount process outlived the command and still holds R:.
        var second = Windows("mount", WinePrefix.ToWindows(volume), "R:", "--background");
        Assert.That(second.ExitCode, Is.EqualTo(1), second.ToString());
        Assert.That(second.StderrLines, Has.Length.EqualTo(1).And.Some.Contains("R:"), second.ToString());

        var unmount = Windows("unmount", "R:");
        Assert.That(unmount.ExitCode, Is.Zero, unmount.ToString());
        Prefix.WaitForServer();
        Assert.That(File.ReadAllText(log), Does.Contain("volume closed cleanly"), File.ReadAllText(log));
        Assert.That(Windows("unmount", "R:").ExitCode, Is.EqualTo(1), "nothing is mounted at R: any more");
        using var check = FileSystem.Open(volume, new OpenOptions { ReadOnly = true });
        Assert.That(check.Check(), Is.Empty);
    }

    [Test]
    public void AMountThatCannotStartIsTheCommandsOwnError()
    {
        string plain = Path.Combine(_temp, "plain");
        Directory.CreateDirectory(plain);
        var r = Windows("mount", WinePrefix.ToWindows(plain), "S:", "--background");
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.StderrLines, Has.Length.EqualTo(1), r.ToString());
            Assert.That(r.Stderr, Does.StartWith("winreflink: the mount did not start: ").And.Contain("is not a WinReflink volume"), r.ToString());
            Assert.That(r.Stdout, Is.Empty, r.ToString());
        });
        Assert.That(Windows("unmount", "S:").ExitCode, Is.EqualTo(1), "no mount process was left behind");
        Assert.That(Directory.EnumerateFileSystemEntries(plain), Is.Empty, "the folder was not formatted");
    }

    [Test]
    public void StarIsRefusedSinceTheCallerMustKnowWhatToUnmount()
    {
        var r = Windows("mount", WinePrefix.ToWindows(Path.Combine(_temp, "star.wrl")), "*", "--background");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("not *"), r.ToString());
        Assert.That(Directory.Exists(Path.Combine(_temp, "star.wrl")), Is.False, "nothing was formatted");
    }

    /// <summary>The log the command names ("log C:\...\mount-R_.log)") as a path in the prefix.</summary>
    private string LinuxPathOfLog(string stdout)
    {
        var match = LogPattern().Match(stdout);
        Assert.That(match.Success, Is.True, stdout);
        string windows = match.Groups[1].Value;
        Assert.That(windows, Does.StartWith(@"C:\"), stdout);
        return Path.Combine(Prefix.DriveC, windows[3..].Replace('\\', '/'));
    }

    [GeneratedRegex(@"log (C:\\[^)]+)\)")]
    private static partial Regex LogPattern();
}
