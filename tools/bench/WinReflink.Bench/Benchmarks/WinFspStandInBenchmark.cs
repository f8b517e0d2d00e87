using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// The WinFsp host driven in this process by the test stand-in (tests/WinFspStandIn) in place of the
/// WinFsp DLL and driver: the stand-in's dispatcher thread runs the `bench` lines of the script named
/// by WINFSP_STANDIN_SCENARIOS (a sequential write, then read, through the interface table's Write and
/// Read callbacks) and writes its timings to WINFSP_STANDIN_REPORT. The caller sets both variables
/// (the stand-in reads them with getenv); this prints the report's BENCH lines.
/// </summary>
internal static class WinFspStandInBenchmark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    public static int Run(string directory, string library, ILoggerFactory loggers)
    {
        string report = Environment.GetEnvironmentVariable("WINFSP_STANDIN_REPORT")
            ?? throw new InvalidOperationException("WINFSP_STANDIN_REPORT is not set (tools/bench/winfsp sets it)");
        string volume = Path.Combine(directory, "winfsp-bench.wrl");
        FileSystem.Format(volume, new FormatOptions { SizeBytes = 8L << 30 });
        try
        {
            using var fs = FileSystem.Open(volume, new OpenOptions { LoggerFactory = loggers });
            using (WinFspHost.Mount(WinFspLibrary.LoadFrom(library), fs, "R:", new WinFspMountOptions(), loggers))
            {
                var deadline = DateTime.UtcNow + Timeout;
                while (!File.Exists(report) || !File.ReadLines(report).Any(l => l.TrimEnd() == "DONE"))
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        Console.Error.WriteLine($"winfsp: no DONE in {report} after {Timeout}");
                        return 1;
                    }
                    Thread.Sleep(100);
                }
            }
            foreach (string line in File.ReadLines(report).Where(l => l.StartsWith("BENCH", StringComparison.Ordinal)))
            {
                Console.WriteLine(line);
            }
            return 0;
        }
        finally
        {
            Directory.Delete(volume, recursive: true);
        }
    }
}
