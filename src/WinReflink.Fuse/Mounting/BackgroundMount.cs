using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Interop;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Mounting;

/// <summary>
/// `winreflink mount --background` and the mount(8) helper: the mount runs in a process of its own,
/// in a session of its own (a closed terminal does not end it), writing to a log file, and the
/// command that started it returns once the kernel shows the mount, or with the reason it failed.
/// </summary>
public static class BackgroundMount
{
    /// <summary>Set in the mount process's environment: the log it writes to instead of the terminal.</summary>
    private const string LogVariable = "WINREFLINK_MOUNT_LOG";

    /// <summary>How long the kernel may take to show a mount that is starting (opening a large volume included).</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs first in every `winreflink` process: in a mount started by <see cref="Start"/>, it leaves the
    /// caller's session and sends stdin, stdout and stderr to the log, before anything has written to them.
    /// </summary>
    public static unsafe void DetachIfRequested()
    {
        string? log = Environment.GetEnvironmentVariable(LogVariable);
        if (log == null || !OperatingSystem.IsLinux())
        {
            return;
        }
        Environment.SetEnvironmentVariable(LogVariable, null);
        LinuxNative.SetSid();
        int logFd = Libc.Open(log, LinuxNative.OWrOnly | LinuxNative.OCreat | LinuxNative.OAppend | LinuxNative.OCloExec, 0x180);
        int nullFd = Libc.Open("/dev/null", LinuxNative.ORdWr | LinuxNative.OCloExec, 0);
        if (logFd < 0 || nullFd < 0)
        {
            return;
        }
        // The runtime may already hold duplicates of the inherited stdio (it starts before Main): they
        // are redirected too, or the caller's pipes would stay open until the unmount and whoever
        // reads this command's output to its end would wait that long.
        string?[] stdio = [FdTarget(0), FdTarget(1), FdTarget(2)];
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
                && fd > 2 && fd != logFd && fd != nullFd && FdTarget(fd) is { } target && Array.IndexOf(stdio, target) is int which and >= 0)
            {
                LinuxNative.Dup2(which == 0 ? nullFd : logFd, fd);
            }
        }
        LinuxNative.Dup2(nullFd, 0);
        LinuxNative.Dup2(logFd, 1);
        LinuxNative.Dup2(logFd, 2);
        Libc.Close(logFd);
        Libc.Close(nullFd);
    }

    /// <summary>
    /// Starts `winreflink` with <paramref name="mountArguments"/> (a foreground mount) as a detached
    /// process and waits until <paramref name="mountPoint"/> is a WinReflink mount. Returns the process
    /// id and the log; throws <see cref="MountException"/> with the mount's own error when it ended first.
    /// </summary>
    public static (int Pid, string Log) Start(IEnumerable<string> mountArguments, string mountPoint)
    {
        string full = Path.GetFullPath(mountPoint).TrimEnd('/');
        string log = LogPath(full);
        File.WriteAllText(log, "");
        string program = Environment.ProcessPath ?? throw new MountException("cannot tell which program to start for the mount");
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        // Run as `dotnet winreflink.dll` (tools/winreflink, the tests), the program is the host and the
        // assembly its first argument.
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }
        foreach (string a in mountArguments)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment[LogVariable] = log;
        using var process = Process.Start(start) ?? throw new MountException("the mount process did not start");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StartTimeout)
        {
            if (Mountpoint.FindMount(full) == "fuse.winreflink")
            {
                return (process.Id, log);
            }
            if (process.WaitForExit(50))
            {
                throw new MountException($"the mount did not start: {LastError(log) ?? $"it exited with code {process.ExitCode}"}");
            }
        }
        process.Kill();
        throw new MountException($"{full} was not mounted within {StartTimeout.TotalSeconds:0} s; see {log}");
    }

    /// <summary>The pipe, socket or terminal a descriptor refers to ("pipe:[123]", "/dev/pts/0"); null for anything else.</summary>
    private static string? FdTarget(int fd)
    {
        string? target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        return target != null && (target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)
            || target.StartsWith("/dev/pts/", StringComparison.Ordinal) || target.StartsWith("/dev/tty", StringComparison.Ordinal))
            ? target : null;
    }

    /// <summary>One log per mount point, where its owner can read it: /run for root, the user's runtime folder otherwise.</summary>
    private static string LogPath(string mountPoint)
    {
        string dir = Libc.GetEffectiveUid() == 0
            ? "/run/winreflink"
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? runtime : Path.GetTempPath(),
                $"winreflink-{Libc.GetEffectiveUid()}");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "mount" + mountPoint.Replace('/', '_') + ".log");
    }

    /// <summary>The mount's one-line error ("winreflink: ..."), the last line it wrote before it ended.</summary>
    private static string? LastError(string log)
    {
        string? last = File.ReadLines(log).LastOrDefault(l => l.Length > 0);
        const string Prefix = "winreflink: ";
        return last != null && last.StartsWith(Prefix, StringComparison.Ordinal) ? last[Prefix.Length..] : last;
    }
}
