using System.Diagnostics;
using System.Runtime.Versioning;
using WinReflink.Cli.Infrastructure;
using WinReflink.Cli.Interop;
using WinReflink.WinFsp.Hosting;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink mount --background` on Windows, as on Linux: the mount runs in a process of its own with a
/// hidden console of its own (closing or Ctrl+C in the caller's console does not end it), writing to a log
/// file, and the command returns once the mount serves the volume, or with the reason it failed.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsBackgroundMount
{
    /// <summary>Set in the mount process's environment: the log it writes to instead of the console.</summary>
    private const string LogVariable = "WINREFLINK_MOUNT_LOG";

    /// <summary>Set in the mount process's environment: the event it sets once WinFsp serves the volume.</summary>
    private const string ReadyVariable = "WINREFLINK_MOUNT_READY";

    /// <summary>How long a mount may take to start (opening a large volume included).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs first in every `winreflink` process: in a mount started by <see cref="Start"/>, output goes to the log.</summary>
    public static void DetachIfRequested()
    {
        string? log = Environment.GetEnvironmentVariable(LogVariable);
        if (log == null)
        {
            return;
        }
        Environment.SetEnvironmentVariable(LogVariable, null);
        var file = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var writer = TextWriter.Synchronized(new StreamWriter(file) { AutoFlush = true });
        Console.SetOut(writer);
        Console.SetError(writer);
    }

    /// <summary>Called by the mount once WinFsp serves the volume: the command that started it may return.</summary>
    public static void SignalReady()
    {
        string? name = Environment.GetEnvironmentVariable(ReadyVariable);
        if (name != null && EventWaitHandle.TryOpenExisting(name, out var ready))
        {
            using (ready)
            {
                ready.Set();
            }
        }
    }

    /// <summary>
    /// Starts `winreflink` with <paramref name="mountArguments"/> (a foreground mount) as a detached process and
    /// waits until it serves the volume. Returns its process id and log; throws <see cref="CliException"/> with
    /// the mount's own error when it ended first.
    /// </summary>
    public static (int Pid, string Log) Start(IEnumerable<string> mountArguments, string mountPoint)
    {
        // The mount already serving this point keeps its log: refused here, before the log is started afresh.
        if (EventWaitHandle.TryOpenExisting(UnmountSignal.Name(mountPoint), out var serving))
        {
            serving.Dispose();
            throw new CliException($"another WinReflink mount already serves {mountPoint}");
        }
        string log = LogPath(mountPoint);
        using (new FileStream(log, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
        }
        string name = @"Local\WinReflink.MountReady." + Guid.NewGuid().ToString("N");
        using var ready = new EventWaitHandle(false, EventResetMode.ManualReset, name);
        string program = Environment.ProcessPath ?? throw new CliException("cannot tell which program to start for the mount");
        // Every stream redirected: the mount must not hold the caller's console or pipes open (its output goes
        // to the log), or whoever reads this command's output to its end would wait until the unmount.
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(program).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }
        foreach (string a in mountArguments)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment[LogVariable] = log;
        start.Environment[ReadyVariable] = name;
        ConsoleHandles.StopInheritance();
        using var process = Process.Start(start) ?? throw new CliException("the mount process did not start");
        try
        {
            process.StandardInput.Close();
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < StartTimeout)
            {
                if (ready.WaitOne(50))
                {
                    return (process.Id, log);
                }
                if (process.HasExited)
                {
                    throw new CliException($"the mount did not start: {LastError(log) ?? $"it exited with code {process.ExitCode}"}");
                }
            }
            process.Kill();
            throw new CliException($"{mountPoint} was not mounted within {StartTimeout.TotalSeconds:0} s; see {log}");
        }
        finally
        {
            process.StandardOutput.Dispose();
            process.StandardError.Dispose();
        }
    }

    /// <summary>One log per mount point, in the user's temp folder.</summary>
    private static string LogPath(string mountPoint)
    {
        string dir = Path.Combine(Path.GetTempPath(), "WinReflink");
        Directory.CreateDirectory(dir);
        string key = string.Concat(mountPoint.TrimEnd('\\').Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));
        return Path.Combine(dir, "mount-" + key + ".log");
    }

    /// <summary>The mount's one-line error ("winreflink: ..."), the last line it wrote before it ended.</summary>
    private static string? LastError(string log)
    {
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        string? last = null;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                last = line;
            }
        }
        const string Prefix = "winreflink: ";
        return last != null && last.StartsWith(Prefix, StringComparison.Ordinal) ? last[Prefix.Length..] : last;
    }
}
