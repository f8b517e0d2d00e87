namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>The programs the tests run: the winreflink CLI built next to this assembly (on the tests' dotnet host), PowerShell, and the tools tools/deps installs.</summary>
internal static class Programs
{
    public static string Dll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "winreflink.dll");
            if (!File.Exists(path))
            {
                Assert.Fail($"{path} is missing: the test project must reference src/WinReflink.Cli so its build output is copied here");
            }
            return path;
        }
    }

    /// <summary>The dotnet executable: the one the test host runs on (DOTNET_HOST_PATH is set by `dotnet test`).</summary>
    public static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }
            string? self = Environment.ProcessPath;
            return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    public static ProcessResult Winreflink(params string[] arguments) => ProcessRunner.Run(DotnetHost, [Dll, .. arguments], TimeSpan.FromMinutes(2));

    /// <summary>The repository root (where WinReflink.sln is), found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "WinReflink.sln")))
                {
                    return dir.FullName;
                }
            }
            Assert.Fail($"no WinReflink.sln above {AppContext.BaseDirectory}");
            return "";
        }
    }

    /// <summary>PowerShell 7.6.9 as tools/deps installs it.</summary>
    public static string Pwsh
    {
        get
        {
            string path = Path.Combine(RepositoryRoot, "tools", ".dotnet-tools", "pwsh");
            if (!File.Exists(path))
            {
                Assert.Fail($"PowerShell is missing at {path}: run tools/deps to install it");
            }
            return path;
        }
    }

    /// <summary>A program tools/deps installs (fio, fusermount3, ...).</summary>
    public static string Tool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            string candidate = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"{name} is not installed: run tools/deps");
        return name;
    }
}
