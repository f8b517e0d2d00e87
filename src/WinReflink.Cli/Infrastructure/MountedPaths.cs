using WinReflink.Client;

namespace WinReflink.Cli.Infrastructure;

/// <summary>Tells a volume folder from a path on a mounted volume, for commands that accept both.</summary>
internal static class MountedPaths
{
    public static bool IsVolumeFolder(string path) => File.Exists(Path.Combine(path, "meta.db"));

    /// <summary>The path is on a mounted WinReflink volume, or a one-line error says what it is instead.</summary>
    public static void RequireMount(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new CliException($"{path}: no such file or directory");
        }
        if (!MountClient.IsOnMount(path))
        {
            throw new CliException($"{path} is not on a mounted WinReflink volume");
        }
    }
}
