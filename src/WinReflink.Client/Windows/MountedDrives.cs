using System.Runtime.Versioning;

namespace WinReflink.Client.Windows;

/// <summary>
/// The drive letters that are mounted WinReflink volumes: every logical drive whose root answers the
/// control channel's Info request. WinFsp keeps no list a client could read, and a directory mount point
/// is found only by asking about its path.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class MountedDrives
{
    public static IReadOnlyList<MountedVolume> Mounts()
    {
        var result = new List<MountedVolume>();
        foreach (var drive in DriveInfo.GetDrives())
        {
            // WinFsp.Disk volumes are fixed drives and launcher (WinFsp.Net) ones network drives; asking an
            // empty floppy or optical drive would only wait on hardware that cannot be ours.
            if (drive.DriveType is DriveType.Fixed or DriveType.Network && WindowsMountClient.IsOnMount(drive.Name))
            {
                result.Add(new MountedVolume(drive.Name.TrimEnd('\\'), ""));
            }
        }
        return result;
    }
}
