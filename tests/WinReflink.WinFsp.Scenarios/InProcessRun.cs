using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// One in-process run of a scenario script: a fresh 4 GiB volume in FOLDER, opened with the options
/// given, mounted through the host's explicit-path seam on the stand-in .so until the report says
/// DONE, then unmounted, closed and checked read-only.
/// </summary>
internal static class InProcessRun
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    public static (ScenarioReport Report, IReadOnlyList<Core.Check.Violation> Violations) Play(
        string folder, string script, OpenOptions open, ILoggerProvider log)
    {
        StandIn.Build();
        string volume = Path.Combine(folder, "v.wrl");
        string reportPath = Path.Combine(folder, "report.txt");
        FileSystem.Format(volume, new FormatOptions { SizeBytes = 4L << 30 });
        NativeEnvironment.Set("WINFSP_STANDIN_SCENARIOS", script);
        NativeEnvironment.Set("WINFSP_STANDIN_REPORT", reportPath);
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log));
        ScenarioReport report;
        using (var fs = FileSystem.Open(volume, open))
        {
            var host = WinFspHost.Mount(WinFspLibrary.LoadFrom(StandIn.LinuxLibrary), fs, "R:", new WinFspMountOptions(), loggers);
            try
            {
                report = ScenarioReport.WaitForDone(reportPath, RunTimeout);
            }
            finally
            {
                host.Dispose();
            }
        }
        using var check = FileSystem.Open(volume, new OpenOptions { ReadOnly = true });
        return (report, check.Check());
    }
}
