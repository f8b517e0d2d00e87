using System.Diagnostics;
using System.Globalization;
using WinReflink.Client;

namespace WinReflink.PowerShell.Volumes;

/// <summary>
/// The process serving a mounted volume, named by the volume lock's owner file ("PID NAME on HOST"): the
/// kernel's unmount returns before that process has committed and closed the volume.
/// </summary>
internal static class VolumeServer
{
    public static int? Of(string mountPoint)
    {
        var entry = MountClient.Containing(System.IO.Path.GetFullPath(mountPoint));
        if (entry == null || entry.VolumePath.Length == 0)
        {
            return null;
        }
        try
        {
            string text = File.ReadAllText(System.IO.Path.Combine(entry.VolumePath, "lock.owner"));
            return int.TryParse(text.Split(' ', 2)[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static bool WaitForExit(int pid, TimeSpan timeout)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WaitForExit(timeout);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
