using System.Reflection;

namespace WinReflink.Tests.Wine;

/// <summary>Where the repository's build outputs are, from the path the test project bakes in.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>The self-contained win-x64 CLI that tools/test publishes.</summary>
    public static string WindowsCli => Path.Combine(Root, "artifacts", "win-x64", "winreflink.exe");

    /// <summary>Fails the test with the command that makes the win-x64 publish when it is missing.</summary>
    public static string RequireWindowsCli()
    {
        if (!File.Exists(WindowsCli))
        {
            Assert.Fail($"the win-x64 build is missing at {WindowsCli}; make it with tools/test, or: dotnet publish " +
                        "src/WinReflink.Cli -c Release -r win-x64 --self-contained -o artifacts/win-x64");
        }
        return WindowsCli;
    }
}
