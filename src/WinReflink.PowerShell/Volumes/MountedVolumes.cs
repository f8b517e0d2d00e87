using WinReflink.Client;
using WinReflink.PowerShell.Objects;

namespace WinReflink.PowerShell.Volumes;

/// <summary>Reads a mounted volume's figures through the control channel, the one way the module reaches a mount.</summary>
internal static class MountedVolumes
{
    /// <summary>The volume holding <paramref name="fullPath"/>; throws <see cref="IOException"/> when it is not on a mount.</summary>
    public static ReflinkVolume Read(string fullPath)
    {
        if (!File.Exists(fullPath) && !Directory.Exists(fullPath))
        {
            throw new FileNotFoundException($"{fullPath}: no such file or directory", fullPath);
        }
        if (!MountClient.IsOnMount(fullPath))
        {
            throw new IOException($"{fullPath} is not on a mounted WinReflink volume");
        }
        var entry = MountClient.Containing(fullPath);
        return ReflinkVolume.FromInfoJson(MountClient.InfoJson(fullPath), entry?.MountPoint ?? fullPath, entry?.VolumePath ?? "");
    }

    /// <summary>Which mount a path is on, for telling one volume from another (the path's root on Windows).</summary>
    public static string? MountOf(string fullPath) =>
        OperatingSystem.IsWindows() ? Path.GetPathRoot(fullPath) : MountClient.Containing(fullPath)?.MountPoint;
}
