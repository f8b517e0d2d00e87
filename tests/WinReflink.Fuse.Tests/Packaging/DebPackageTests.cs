using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Packaging;

/// <summary>
/// The .deb a Linux tester is handed (built by tools/package, which tools/test runs first): lintian
/// finds no error, `dpkg -i` installs a working `winreflink`, `mount -t fuse.winreflink` and an fstab
/// line mount a volume through the shipped helper, `umount` ends it cleanly, and `dpkg -r` leaves
/// nothing behind. Installs on this machine, so it runs as root, one fixture at a time.
/// </summary>
[NonParallelizable]
public sealed class DebPackageTests
{
    private const string ModuleLink = "/usr/local/share/powershell/Modules/WinReflink";
    private static readonly string[] InstalledPaths = ["/usr/lib/winreflink", "/usr/bin/winreflink", "/sbin/mount.fuse.winreflink", ModuleLink];
    private string _deb = "";

    [OneTimeSetUp]
    public void InstallThePackage()
    {
        Assert.That(Environment.UserName, Is.EqualTo("root"), "installing a .deb needs root: run the tests as root (tools/test does)");
        string packages = Path.Combine(Programs.RepositoryRoot, "artifacts", "packages");
        _deb = Directory.Exists(packages) ? Directory.GetFiles(packages, "winreflink_*_amd64.deb").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault() ?? "" : "";
        Assert.That(_deb, Is.Not.Empty, $"no winreflink_*_amd64.deb in {packages}: build it with tools/package (tools/test does)");
        Assert.That(InstalledPaths.Where(Path.Exists), Is.Empty, "winreflink is already installed on this machine; remove it (dpkg -r winreflink) to run these tests");
        ProcessRunner.RunOk("dpkg", "-i", _deb);
    }

    [OneTimeTearDown]
    public void RemovingThePackageLeavesNothingBehind()
    {
        ProcessRunner.RunOk("dpkg", "-r", "winreflink");
        Assert.That(InstalledPaths.Where(Path.Exists), Is.Empty, "dpkg -r left files behind");
        Assert.That(ProcessRunner.Run("dpkg-query", "-W", "-f", "${Status}", "winreflink").Stdout, Does.Not.Contain("installed").Or.Contain("not-installed"));
    }

    [Test]
    public void LintianFindsNoErrors()
    {
        var r = ProcessRunner.Run(Programs.Tool("lintian"), [_deb], TimeSpan.FromMinutes(5));
        var errors = r.Stdout.Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Is.Empty, r.ToString());
    }

    [Test]
    public void TheInstalledCommandReportsThePackagesVersion()
    {
        string version = Path.GetFileName(_deb).Split('_')[1];
        var r = ProcessRunner.RunOk("/usr/bin/winreflink", "--version");
        Assert.That(r.Stdout.Trim(), Does.StartWith(version));
        Assert.That(ProcessRunner.RunOk("dpkg-query", "-W", "-f", "${Version} ${Depends}", "winreflink").Stdout, Does.StartWith(version).And.Contain("fuse3"));
    }

    [Test]
    public void PowerShellImportsTheModuleByName()
    {
        // pwsh's own default module path, as a user's shell has it: nothing set by the test run.
        var psi = new System.Diagnostics.ProcessStartInfo(Programs.Pwsh) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-NoProfile", "-NonInteractive", "-Command",
            "Import-Module WinReflink -ErrorAction Stop; $m = Get-Module WinReflink; \"$($m.Version) $(@($m.ExportedCmdlets.Keys).Count) $($m.ModuleBase)\"" })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Remove("PSModulePath");
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.That(p.WaitForExit(120_000), Is.True, "pwsh did not finish");
        Assert.That(p.ExitCode, Is.Zero, stderr);
        string version = Path.GetFileName(_deb).Split('_')[1];
        Assert.That(stdout.Trim(), Is.EqualTo($"{version} 7 {ModuleLink}"), stderr);
        Assert.That(Directory.GetDirectories("/usr/lib/winreflink/powershell-module/runtimes").Select(Path.GetFileName), Is.EqualTo((string[])["linux-x64"]),
            "the .deb carries only its own platform's native library");
    }

    [Test]
    public void MountTypeFuseWinreflinkRunsTheShippedHelper()
    {
        using var area = TestArea.Create();
        ProcessRunner.RunOk("/usr/bin/winreflink", "format", area.Volume, "--size", "256M");
        ProcessRunner.RunOk("mount", "-t", "fuse.winreflink", area.Volume, area.MountPoint, "-o", "cache_size=64M,allow_other,noatime");
        try
        {
            Assert.That(MountTable.TypeAt(area.MountPoint), Is.EqualTo("fuse.winreflink"));
            var data = new byte[1 << 20];
            new Random(8).NextBytes(data);
            File.WriteAllBytes(Path.Combine(area.MountPoint, "a.bin"), data);
            // cp's copy_file_range becomes a reflink on the mount (FUSE forwards no FICLONE).
            ProcessRunner.RunOk("cp", Path.Combine(area.MountPoint, "a.bin"), Path.Combine(area.MountPoint, "b.bin"));
            var info = ProcessRunner.RunOk("/usr/bin/winreflink", "info", area.MountPoint, "--json");
            Assert.That(System.Text.Json.JsonDocument.Parse(info.Stdout).RootElement.GetProperty("sharedBytes").GetInt64(), Is.GreaterThanOrEqualTo(1L << 20), info.Stdout);
        }
        finally
        {
            UnmountAndWait(area.MountPoint);
        }
        Assert.That(ProcessRunner.RunOk("/usr/bin/winreflink", "check", area.Volume).Stdout, Does.Contain("clean"));
    }

    [Test]
    public void AnFstabLineMountsByDirectoryAlone()
    {
        using var area = TestArea.Create();
        ProcessRunner.RunOk("/usr/bin/winreflink", "format", area.Volume, "--size", "256M");
        string fstab = File.ReadAllText("/etc/fstab");
        try
        {
            File.AppendAllText("/etc/fstab", $"{area.Volume} {area.MountPoint} fuse.winreflink noauto,ro 0 0\n");
            ProcessRunner.RunOk("mount", area.MountPoint);
            Assert.That(File.ReadAllText("/proc/self/mountinfo").Split('\n').Single(l => l.Contains($" {area.MountPoint} ", StringComparison.Ordinal)),
                Does.Contain(" ro,").Or.Contain(" ro "), "the fstab line's ro reached the mount");
            var write = ProcessRunner.Run("sh", "-c", $"echo x > {area.MountPoint}/refused");
            Assert.That(write.Stderr, Does.Contain("Read-only file system"), write.ToString());
        }
        finally
        {
            File.WriteAllText("/etc/fstab", fstab);
            UnmountAndWait(area.MountPoint);
        }
    }

    [Test]
    public void TheHelperRefusesAnOptionItDoesNotKnow()
    {
        using var area = TestArea.Create();
        var r = ProcessRunner.Run("/sbin/mount.fuse.winreflink", area.Volume, area.MountPoint, "-o", "compress=zstd");
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Stderr, Does.Contain("unknown option 'compress=zstd'"));
        Assert.That(MountTable.IsMounted(area.MountPoint), Is.False);
        Assert.That(Directory.Exists(area.Volume), Is.False, "nothing was formatted");
    }

    private static void UnmountAndWait(string mountPoint)
    {
        if (MountTable.IsMounted(mountPoint))
        {
            ProcessRunner.RunOk("umount", mountPoint);
        }
        // The mount process commits and closes after the kernel lets go; the volume lock says when.
        for (int i = 0; i < 200 && ProcessRunner.Run("pgrep", "-f", $"mount .* {mountPoint} ").ExitCode == 0; i++)
        {
            Thread.Sleep(50);
        }
    }
}
