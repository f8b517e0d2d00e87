using System.Diagnostics;
using System.Text;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>What an ordinary program did: exit code and everything it printed.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"`{Command}` exited {ExitCode}\nstdout: {Stdout.Trim()}\nstderr: {Stderr.Trim()}";
}

/// <summary>Runs programs to completion with a timeout, capturing their output.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        string command = file + " " + string.Join(' ', psi.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        p.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"`{command}` did not finish within {limit.TotalSeconds:0} s\nstdout: {Text(stdout)}\nstderr: {Text(stderr)}");
        }
        p.WaitForExit();
        return new ProcessResult(command, p.ExitCode, Text(stdout), Text(stderr));
    }

    public static ProcessResult Run(string file, params string[] arguments) => Run(file, arguments, null);

    /// <summary>Runs a program and fails the test unless it exits 0.</summary>
    public static ProcessResult RunOk(string file, params string[] arguments)
    {
        var r = Run(file, arguments, null);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        return r;
    }

    /// <summary>A shell command as the unprivileged user <paramref name="uid"/> (group <paramref name="gid"/>, no supplementary groups).</summary>
    public static ProcessResult RunAs(int uid, int gid, string shellCommand) =>
        Run("setpriv", [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "sh", "-c", shellCommand], null);

    private static void Append(StringBuilder sb, string? line)
    {
        if (line == null)
        {
            return;
        }
        lock (sb)
        {
            sb.AppendLine(line);
        }
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
