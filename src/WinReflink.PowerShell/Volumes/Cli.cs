using System.Diagnostics;

namespace WinReflink.PowerShell.Volumes;

/// <summary>
/// Runs the winreflink CLI for what must outlive the PowerShell session (a mount's server process):
/// the copy beside the module first (the packages install them together), then the one on PATH.
/// </summary>
internal static class Cli
{
    private static string FileName => OperatingSystem.IsWindows() ? "winreflink.exe" : "winreflink";

    public static string Find()
    {
        string moduleDir = System.IO.Path.GetDirectoryName(typeof(Cli).Assembly.Location) ?? "";
        foreach (string dir in new[] { moduleDir, System.IO.Path.Combine(moduleDir, "..", "..", "bin") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)))
        {
            string candidate = System.IO.Path.Combine(dir, FileName);
            if (File.Exists(candidate))
            {
                return System.IO.Path.GetFullPath(candidate);
            }
        }
        throw new FileNotFoundException($"{FileName} was not found beside the module ({moduleDir}) nor on PATH; install WinReflink or add its folder to PATH");
    }

    /// <summary>Runs the CLI to its end; the exit code and what it wrote to stderr (its reason on failure).</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Find())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start) ?? throw new IOException($"cannot start {start.FileName}");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim(), error.GetAwaiter().GetResult().Trim());
    }
}
