using WinReflink.Client.Linux;
using WinReflink.Client.Windows;
using WinReflink.Core;

namespace WinReflink.Client;

/// <summary>
/// The control channel of a mounted volume through the host of this system (FUSE ioctls on Linux, WinFsp
/// DeviceIoControl on Windows): the one entry point the CLI and the PowerShell module share.
/// </summary>
public static class MountClient
{
    public static bool Supported => OperatingSystem.IsLinux() || OperatingSystem.IsWindows();

    /// <summary>
    /// Every mounted WinReflink volume of this system: Linux's mount table (type fuse.winreflink), or on
    /// Windows every drive letter whose root answers the control channel.
    /// </summary>
    public static IReadOnlyList<MountedVolume> Mounted() =>
        OperatingSystem.IsWindows() ? MountedDrives.Mounts() : OperatingSystem.IsLinux() ? MountTable.Mounts() : [];

    /// <summary>The mount holding a full path: the longest mount point that contains it (Linux), or its drive (Windows); null when none does.</summary>
    public static MountedVolume? Containing(string fullPath)
    {
        if (OperatingSystem.IsWindows())
        {
            string? root = Path.GetPathRoot(fullPath);
            return root != null && WindowsMountClient.IsOnMount(root) ? new MountedVolume(root.TrimEnd('\\'), "") : null;
        }
        return OperatingSystem.IsLinux() ? MountTable.Containing(fullPath) : null;
    }

    /// <summary>Whether the path lies on a mounted WinReflink volume (the Info control answers).</summary>
    public static bool IsOnMount(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.IsOnMount(path) : OperatingSystem.IsLinux() && LinuxMountClient.IsOnMount(path);

    /// <summary>The volume's and cache's figures as JSON; throws <see cref="IOException"/> naming the path on failure.</summary>
    public static string InfoJson(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.InfoJson(path) : LinuxMountClient.InfoJson(path);

    /// <summary>Every extent of a file on a mount, read page by page.</summary>
    public static IReadOnlyList<FileExtent> Extents(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.Extents(path) : LinuxMountClient.Extents(path);

    /// <summary>Clones a file into another on the same mount through the token protocol; returns the bytes cloned.</summary>
    public static long Clone(string source, string destination) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.Clone(source, destination) : LinuxMountClient.Clone(source, destination);

    /// <summary>The engine's inode number of a path on a mount.</summary>
    public static long InodeOf(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.InodeOf(path) : LinuxMountClient.InodeOf(path);
}
