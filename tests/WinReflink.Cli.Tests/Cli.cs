using System.Diagnostics;
using System.Reflection;

namespace WinReflink.Cli.Tests;

/// <summary>Runs the real winreflink CLI (the Cli project's build output) through the dotnet host.</summary>
public static class Cli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string DllPath { get; } = typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WinreflinkDll").Value!;

    public static CliResult Run(params string[] args)
    {
        Assert.That(File.Exists(DllPath), Is.True, $"the CLI is not built at {DllPath}");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"winreflink {string.Join(' ', args)} did not finish within {Timeout}");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and asserts success, returning stdout.</summary>
    public static string Ok(params string[] args)
    {
        var r = Run(args);
        Assert.That(r.ExitCode, Is.Zero, $"winreflink {string.Join(' ', args)}\n{r}");
        return r.Stdout;
    }

    /// <summary>The test host runs under the dotnet muxer; use the same one for the CLI.</summary>
    public static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self != null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
