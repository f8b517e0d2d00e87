using WinReflink.Core;
using WinReflink.Fuse.Control;
using WinReflink.WinFsp.Control;

namespace WinReflink.Cli.Infrastructure;

/// <summary>The control channel of a mounted volume through the host of this system: FUSE ioctls on Linux, WinFsp DeviceIoControl on Windows.</summary>
internal static class MountControl
{
    public static bool Supported => OperatingSystem.IsLinux() || OperatingSystem.IsWindows();

    public static bool IsOnMount(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.IsOnMount(path) : OperatingSystem.IsLinux() && MountClient.IsOnMount(path);

    public static string InfoJson(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.InfoJson(path) : MountClient.InfoJson(path);

    public static IReadOnlyList<FileExtent> Extents(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.Extents(path) : MountClient.Extents(path);

    public static long Clone(string source, string destination) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.Clone(source, destination) : MountClient.Clone(source, destination);

    public static long InodeOf(string path) =>
        OperatingSystem.IsWindows() ? WindowsMountClient.InodeOf(path) : MountClient.InodeOf(path);
}
