using System.Diagnostics;
using System.Text;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>
/// `winreflink mount VOLUME MOUNTPOINT` running as a child process, the way a user runs it: started,
/// usable once it prints "mounted ", and stopped with `winreflink unmount`.
/// </summary>
public sealed class MountProcess : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _mounted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MountProcess(string volume, string mountPoint, IReadOnlyList<string> options)
    {
        Volume = volume;
        MountPoint = mountPoint;
        var psi = new ProcessStartInfo(Programs.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        psi.ArgumentList.Add(Programs.Dll);
        psi.ArgumentList.Add("mount");
        psi.ArgumentList.Add(volume);
        psi.ArgumentList.Add(mountPoint);
        foreach (string o in options)
        {
            psi.ArgumentList.Add(o);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start winreflink mount");
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }
            lock (_stdout)
            {
                _stdout.AppendLine(e.Data);
            }
            if (e.Data.StartsWith("mounted ", StringComparison.Ordinal))
            {
                _mounted.TrySetResult(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Volume { get; }
    public string MountPoint { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the mount and waits for its "mounted " line; fails the test with the child's output otherwise.</summary>
    public static MountProcess Start(string volume, string mountPoint, params string[] options)
    {
        var m = new MountProcess(volume, mountPoint, options);
        var exited = m._process.WaitForExitAsync();
        int which = Task.WaitAny([m._mounted.Task, exited], StartTimeout);
        if (which != 0)
        {
            string why = which == 1 ? $"exited with code {m._process.ExitCode} before printing \"mounted \"" : $"did not print \"mounted \" within {StartTimeout.TotalSeconds:0} s";
            m.Dispose();
            Assert.Fail($"winreflink mount {volume} {mountPoint} {string.Join(' ', options)} {why}\nstdout: {m.Stdout.Trim()}\nstderr: {m.Stderr.Trim()}");
        }
        if (MountTable.TypeAt(mountPoint) != "fuse.winreflink")
        {
            m.Dispose();
            Assert.Fail($"winreflink mount printed \"mounted \" but {mountPoint} is not a fuse.winreflink mount\nstdout: {m.Stdout.Trim()}");
        }
        return m;
    }

    /// <summary>Runs a mount that is expected to fail; returns its exit code and output.</summary>
    public static ProcessResult RunExpectingFailure(string volume, string mountPoint, params string[] options) =>
        Programs.Winreflink(["mount", volume, mountPoint, .. options]);

    /// <summary>`winreflink unmount` (must exit 0), then waits for the mount process to commit and exit 0.</summary>
    public void Unmount()
    {
        var r = Programs.Winreflink("unmount", MountPoint);
        Assert.That(r.ExitCode, Is.Zero, $"winreflink unmount failed: {r}\nmount stderr: {Stderr.Trim()}");
        WaitForExit();
    }

    /// <summary>Waits for the mount process to finish (after an unmount or a signal) and asserts it exited 0.</summary>
    public void WaitForExit()
    {
        if (!_process.WaitForExit(ExitTimeout))
        {
            Assert.Fail($"winreflink mount did not exit within {ExitTimeout.TotalSeconds:0} s of the unmount\nstderr: {Stderr.Trim()}");
        }
        _process.WaitForExit();
        Assert.That(_process.ExitCode, Is.Zero, $"winreflink mount exited {_process.ExitCode}\nstdout: {Stdout.Trim()}\nstderr: {Stderr.Trim()}");
        Assert.That(MountTable.IsMounted(MountPoint), Is.False, $"{MountPoint} is still mounted after the mount process exited");
    }

    /// <summary>Waits for the mount process to finish and returns its exit code, whatever it is.</summary>
    public int WaitForExitCode()
    {
        if (!_process.WaitForExit(ExitTimeout))
        {
            Assert.Fail($"winreflink mount did not exit within {ExitTimeout.TotalSeconds:0} s\nstderr: {Stderr.Trim()}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the mount process (a crash): the kernel mount stays behind, disconnected.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Leaves nothing behind after a failed test: detaches the mount and ends the child if it is still running.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            if (MountTable.TypeAt(MountPoint) == "fuse.winreflink")
            {
                Libc.DetachMount(MountPoint);
            }
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        _process.Dispose();
    }
}
