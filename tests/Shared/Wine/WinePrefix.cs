using System.Diagnostics;

namespace WinReflink.Tests.Wine;

/// <summary>
/// A fresh Wine prefix (a Windows 10 installation in a temp folder) in which the win-x64 build runs.
/// Each fixture makes its own, so no registry or drive state leaks between fixtures; disposing kills
/// the prefix's processes and removes it. Linux paths are the Windows drive Z: (wine.md).
/// </summary>
internal sealed class WinePrefix : IDisposable
{
    /// <summary>The 64-bit loader, called directly: the `wine` wrapper may not find it (wine.md).</summary>
    public const string Loader = "/usr/lib/wine/wine64";
    private const string Server = "/usr/bin/wineserver";
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromMinutes(3);

    private WinePrefix(string path) => Path = path;

    /// <summary>The prefix folder (WINEPREFIX); its C: drive is drive_c inside it.</summary>
    public string Path { get; }

    public string DriveC => System.IO.Path.Combine(Path, "drive_c");

    /// <summary>Makes the prefix (wineboot -i, then Windows 10), failing with what to install when Wine is missing.</summary>
    public static WinePrefix Create()
    {
        if (!File.Exists(Loader) || !File.Exists(Server))
        {
            Assert.Fail($"wine64 is not installed ({Loader} or {Server} is missing); install it with tools/deps or: apt-get install wine64");
        }
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wrl-wine-" + Guid.NewGuid().ToString("N"));
        var prefix = new WinePrefix(path);
        try
        {
            // No Wine Mono or Gecko: the self-contained .NET build needs neither, and their install prompts cost time.
            var boot = prefix.Run(Loader, ["wineboot", "-i"], SetupTimeout, new Dictionary<string, string> { ["WINEDLLOVERRIDES"] = "mscoree,mshtml=" });
            Assert.That(boot.ExitCode, Is.Zero, $"wineboot -i in {path}\n{boot}");
            // wineboot can return while the prefix's first-run processes still install its programs:
            // a CI run's winecfg then failed with "ShellExecuteEx failed: Internal error". Let them end.
            prefix.WaitForServer();
            // Wine reports Windows 7 until told otherwise (wine.md).
            var win10 = prefix.Run(Loader, ["winecfg", "-v", "win10"], SetupTimeout);
            Assert.That(win10.ExitCode, Is.Zero, $"winecfg -v win10\n{win10}");
        }
        catch
        {
            prefix.Dispose();
            throw;
        }
        return prefix;
    }

    /// <summary>A Linux path as the Windows program sees it: /a/b is Z:\a\b.</summary>
    public static string ToWindows(string linuxPath) => "Z:" + System.IO.Path.GetFullPath(linuxPath).Replace('/', '\\');

    /// <summary>Runs a Windows program (or a Wine tool) to the end and collects its output.</summary>
    public ProcessResult RunWindows(string exe, IEnumerable<string> args, TimeSpan timeout) => Run(Loader, [exe, .. args], timeout);

    /// <summary>Starts a Windows program and returns the wine64 loader process that runs it.</summary>
    public Process StartWindows(string exe, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        Process.Start(StartInfo(Loader, [exe, .. args], env))!;

    /// <summary>Waits for every process of the prefix to end (wineserver -w), so files they wrote are complete.</summary>
    public void WaitForServer() => Run(Server, ["-w"], SetupTimeout);

    /// <summary>Writes a registry value (REG_SZ) with Wine's reg.exe.</summary>
    public void RegAdd(string key, string name, string value)
    {
        var r = Run(Loader, ["reg", "add", key, "/v", name, "/t", "REG_SZ", "/d", value, "/f"], SetupTimeout);
        Assert.That(r.ExitCode, Is.Zero, $"reg add {key} /v {name}\n{r}");
    }

    public ProcessResult Run(string program, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        using var process = Process.Start(StartInfo(program, args, env))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private ProcessStartInfo StartInfo(string program, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        // Wine hands the Linux environment to the Windows program: the test host's .NET settings
        // (Linux paths) are not for the win-x64 runtime.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COREHOST_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        // .NET 10's W^X double mapping of JIT code fails under Wine 8.0: a long mount died with
        // "Internal CLR error (0x80131506)" in DynamicResolver's finalizer, and ran clean without it.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        start.Environment["WINEPREFIX"] = Path;
        start.Environment["WINEDEBUG"] = "-all";
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return start;
    }

    public void Dispose()
    {
        try
        {
            Run(Server, ["-k"], TimeSpan.FromSeconds(30));
        }
        finally
        {
            RemoveFolder();
        }
    }

    private void RemoveFolder()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }
        // dosdevices holds links to / (z:) and drive_c: unlink them first, so nothing can follow them.
        string devices = System.IO.Path.Combine(Path, "dosdevices");
        if (Directory.Exists(devices))
        {
            foreach (var link in new DirectoryInfo(devices).EnumerateFileSystemInfos().Where(e => e.LinkTarget != null))
            {
                link.Delete();
            }
        }
        Directory.Delete(Path, recursive: true);
    }
}
