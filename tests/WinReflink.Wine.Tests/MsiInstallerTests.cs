using System.Diagnostics;

namespace WinReflink.Wine.Tests;

/// <summary>
/// The MSI a Windows tester is handed (tools/package), installed by Windows Installer in a fresh Wine
/// prefix: refused without WinFsp, installed with WinFsp's InstallDir key (the files, the PATH entry,
/// the launcher class in the 32-bit view, a CLI that runs from Program Files), upgraded in place by a
/// higher version, and removed without a trace. The steps run in order on one prefix, as a tester's
/// machine lives through them.
/// </summary>
[NonParallelizable]
public sealed class MsiInstallerTests
{
    private const string InstallDir = @"C:\Program Files\WinReflink\";
    private const string LauncherKey = @"HKLM\SOFTWARE\WinFsp\Services\winreflink";
    private const string EnvironmentKey = @"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
    private const string UninstallKey = @"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private WinePrefix? _prefix;
    private string _msi = "";
    private string _version = "";
    private string _work = "";

    private WinePrefix Prefix => _prefix ?? throw new InvalidOperationException("no prefix");

    [OneTimeSetUp]
    public void MakePrefix()
    {
        string packages = Path.Combine(RepoPaths.Root, "artifacts", "packages");
        _msi = Directory.Exists(packages) ? Directory.GetFiles(packages, "WinReflink-*-x64.msi").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault() ?? "" : "";
        Assert.That(_msi, Is.Not.Empty, $"no WinReflink-*-x64.msi in {packages}: build it with tools/package (tools/test does)");
        _version = Path.GetFileName(_msi)["WinReflink-".Length..^"-x64.msi".Length];
        _work = Path.Combine(Path.GetTempPath(), "wrl-msi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_work);
        _prefix = WinePrefix.Create();
    }

    [OneTimeTearDown]
    public void RemovePrefix()
    {
        _prefix?.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Test, Order(1)]
    public void WithoutWinFspTheInstallIsRefusedAndChangesNothing()
    {
        var r = Msiexec("/i", _msi, "refused.log");
        Assert.That(r.ExitCode, Is.Not.Zero, $"installed without WinFsp\n{r}");
        Assert.That(Directory.Exists(InstalledFolder), Is.False, "files were installed");
        Assert.That(File.ReadAllText(Path.Combine(_work, "refused.log")), Does.Contain("LaunchConditions"), "the log shows the launch conditions ran");
        // Windows Installer shows this text when the condition fails (Wine's log does not carry it).
        var conditions = Run("msiinfo", "export", _msi, "LaunchCondition");
        Assert.That(conditions.Stdout, Does.Contain("Installed OR WINFSPINSTALLDIR").And.Contain("https://winfsp.dev/rel/"));
    }

    [Test, Order(2)]
    public void WithWinFspItInstallsTheCliThePathEntryAndTheLauncherClass()
    {
        // What WinFsp's own installer writes: InstallDir in the 32-bit view (winfsp.md 1.1).
        Prefix.RegAdd(@"HKLM\SOFTWARE\WOW6432Node\WinFsp", "InstallDir", @"C:\Program Files (x86)\WinFsp\");
        var watch = Stopwatch.StartNew();
        var r = Msiexec("/i", _msi, "install.log");
        watch.Stop();
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        TestContext.Out.WriteLine($"MSI {new FileInfo(_msi).Length / (1024.0 * 1024):0.0} MiB installed in {watch.Elapsed.TotalSeconds:0.0} s under Wine");

        Assert.That(File.Exists(Path.Combine(InstalledFolder, "winreflink.exe")), Is.True);
        // The control channel's wire format is an assembly of its own, which both the CLI and the module's client load.
        Assert.That(File.Exists(Path.Combine(InstalledFolder, "WinReflink.Protocol.dll")), Is.True);
        Assert.That(File.Exists(Path.Combine(ModuleFolder, "WinReflink.Protocol.dll")), Is.True);
        // Where PowerShell 7 finds modules for all users, with only the Windows x64 native library.
        Assert.That(File.ReadAllText(Path.Combine(ModuleFolder, "WinReflink.psd1")), Does.Contain($"ModuleVersion        = '{_version}'"));
        Assert.That(Directory.GetDirectories(Path.Combine(ModuleFolder, "runtimes")).Select(Path.GetFileName), Is.EqualTo((string[])["win-x64"]));
        Assert.That(File.Exists(Path.Combine(ModuleFolder, "en-US", "WinReflink.dll-Help.xml")), Is.True, "the module's help is installed");
        Assert.That(Query(EnvironmentKey, "PATH"), Does.Contain(InstallDir), "the install folder is on the machine PATH");
        Assert.Multiple(() =>
        {
            Assert.That(Query(LauncherKey, "Executable", reg32: true), Is.EqualTo(InstallDir + "winreflink.exe"));
            Assert.That(Query(LauncherKey, "CommandLine", reg32: true), Is.EqualTo("mount --launcher %1 %2"));
            Assert.That(Query(LauncherKey, "Security", reg32: true), Is.EqualTo("D:P(A;;RPWPLC;;;WD)"));
            Assert.That(Query(LauncherKey, "JobControl", reg32: true), Is.EqualTo("0x1"));
        });
        var version = Prefix.RunWindows(InstallDir + "winreflink.exe", ["--version"], Timeout);
        Assert.That(version.ExitCode, Is.Zero, version.ToString());
        Assert.That(version.Stdout.Trim(), Does.StartWith(_version));
    }

    [Test, Order(3)]
    public void AHigherVersionUpgradesInPlace()
    {
        string next = NextVersion(_version);
        string msi = Path.Combine(_work, $"WinReflink-{next}-x64.msi");
        var build = Run(Path.Combine(RepoPaths.Root, "installer", "windows", "build-msi.sh"), next, Path.Combine(RepoPaths.Root, "artifacts", "win-x64"),
            Path.Combine(RepoPaths.Root, "artifacts", "module", "WinReflink"), msi);
        Assert.That(build.ExitCode, Is.Zero, build.ToString());
        var r = Msiexec("/i", msi, "upgrade.log");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var products = Prefix.RunWindows("reg", ["query", UninstallKey, "/s"], Timeout).Stdout.Split('\n');
        Assert.That(products.Count(l => l.Contains("DisplayName", StringComparison.Ordinal) && l.TrimEnd().EndsWith("WinReflink", StringComparison.Ordinal)), Is.EqualTo(1),
            "one WinReflink product after the upgrade");
        Assert.That(products.Any(l => l.Contains("DisplayVersion", StringComparison.Ordinal) && l.TrimEnd().EndsWith(next, StringComparison.Ordinal)), Is.True);
        _msi = msi;
    }

    [Test, Order(4)]
    public void UninstallLeavesNothingBehind()
    {
        var r = Msiexec("/x", _msi, "uninstall.log");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Directory.Exists(InstalledFolder), Is.False, "the install folder is gone");
        Assert.That(Directory.Exists(ModuleFolder), Is.False, "the module folder is gone");
        Assert.That(Prefix.RunWindows("reg", ["query", LauncherKey, "/reg:32"], Timeout).ExitCode, Is.Not.Zero, "the launcher class is gone");
        Assert.That(Query(EnvironmentKey, "PATH").Split(';'), Has.None.Contains("WinReflink"), "the PATH entry is gone");
        Assert.That(Prefix.RunWindows("reg", ["query", UninstallKey, "/s"], Timeout).Stdout, Does.Not.Contain("WinReflink"), "no product is registered");
    }

    private string InstalledFolder => Path.Combine(Prefix.DriveC, "Program Files", "WinReflink");

    private string ModuleFolder => Path.Combine(Prefix.DriveC, "Program Files", "PowerShell", "Modules", "WinReflink");

    private ProcessResult Msiexec(string action, string msi, string log) =>
        Prefix.RunWindows("msiexec", [action, WinePrefix.ToWindows(msi), "/qn", "/l*v", WinePrefix.ToWindows(Path.Combine(_work, log))], Timeout);

    /// <summary>A registry value's data as reg.exe prints it ("NAME    REG_SZ    DATA").</summary>
    private string Query(string key, string name, bool reg32 = false)
    {
        var r = Prefix.RunWindows("reg", reg32 ? ["query", key, "/v", name, "/reg:32"] : ["query", key, "/v", name], Timeout);
        Assert.That(r.ExitCode, Is.Zero, $"reg query {key} /v {name}\n{r}");
        string line = r.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
        string[] parts = line.Trim().Split("    ", 3, StringSplitOptions.None);
        return parts.Length == 3 ? parts[2].Trim() : "";
    }

    private static string NextVersion(string version)
    {
        int[] parts = version.Split('.').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return $"{parts[0]}.{parts[1]}.{parts[2] + 1}";
    }

    private static ProcessResult Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(Timeout), Is.True, $"{program} did not finish");
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
