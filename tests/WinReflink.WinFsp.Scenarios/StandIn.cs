using System.Diagnostics;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// The WinFsp stand-in (tests/WinFspStandIn): built with its Makefile into artifacts/winfsp-standin
/// (make only rebuilds what changed), its scenario script, and the report it writes.
/// </summary>
internal static class StandIn
{
    public static string SourceDir => Path.Combine(RepoPaths.Root, "tests", "WinFspStandIn");

    public static string OutDir => Path.Combine(RepoPaths.Root, "artifacts", "winfsp-standin");

    public static string Scenarios => Path.Combine(SourceDir, "scenarios.txt");

    public static string LinuxLibrary => Path.Combine(OutDir, "libwinfsp-standin.so");

    public static string WindowsDll => Path.Combine(OutDir, "winfsp-x64.dll");

    public static string SelfTest => Path.Combine(OutDir, "standin-selftest");

    private static readonly Lock BuildLock = new();

    /// <summary>Builds the .so, the DLL and the self-test, failing with what to install when a tool is missing.</summary>
    public static void Build()
    {
        foreach (var (tool, package) in new[] { ("make", "make"), ("gcc", "gcc"), ("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64") })
        {
            if (!OnPath(tool))
            {
                Assert.Fail($"{tool} is not installed; install it with tools/deps or: apt-get install {package}");
            }
        }
        lock (BuildLock)
        {
            var start = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "-C", SourceDir, "OUT=" + OutDir })
            {
                start.ArgumentList.Add(a);
            }
            using var make = Process.Start(start)!;
            string output = make.StandardOutput.ReadToEnd() + make.StandardError.ReadToEnd();
            make.WaitForExit();
            Assert.That(make.ExitCode, Is.Zero, "building the stand-in failed:\n" + output);
        }
    }

    /// <summary>Where the installed stand-in sits in a Wine prefix: WinFsp's own install folder.</summary>
    public const string WineInstallDir = @"C:\Program Files (x86)\WinFsp\";

    /// <summary>
    /// Builds the stand-in and installs its DLL in a fresh Wine prefix as WinFsp would be: in its bin
    /// folder, found through HKLM\SOFTWARE\WinFsp InstallDir in the 32-bit view (reference 1.1).
    /// </summary>
    public static WinePrefix CreateWinePrefix()
    {
        Build();
        var prefix = WinePrefix.Create();
        string bin = Path.Combine(prefix.DriveC, "Program Files (x86)", "WinFsp", "bin");
        Directory.CreateDirectory(bin);
        File.Copy(WindowsDll, Path.Combine(bin, "winfsp-x64.dll"));
        prefix.RegAdd(@"HKLM\SOFTWARE\WOW6432Node\WinFsp", "InstallDir", WineInstallDir);
        return prefix;
    }

    /// <summary>The scenario names in the order of scenarios.txt (one NUnit case each).</summary>
    public static IEnumerable<string> ScenarioNames() =>
        File.ReadLines(Scenarios)
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("scenario ", StringComparison.Ordinal))
            .Select(l => l["scenario ".Length..].Trim());

    /// <summary>The named scenarios' lines, from "scenario NAME" to its "end", for a script of their own.</summary>
    public static IEnumerable<string> ScenarioLines(IReadOnlyCollection<string> names)
    {
        bool inside = false;
        foreach (string line in File.ReadLines(Scenarios))
        {
            string t = line.Trim();
            if (t.StartsWith("scenario ", StringComparison.Ordinal))
            {
                inside = names.Contains(t["scenario ".Length..].Trim());
            }
            if (inside)
            {
                yield return line;
            }
            if (t == "end")
            {
                inside = false;
            }
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
