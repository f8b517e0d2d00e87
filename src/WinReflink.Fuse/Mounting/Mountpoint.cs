namespace WinReflink.Fuse.Mounting;

/// <summary>Checks a mountpoint before mounting, and reads the mount table.</summary>
internal static class Mountpoint
{
    public static string Validate(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0)
        {
            full = "/";
        }
        // Before the existence checks: a mount whose process died fails every stat with ENOTCONN, which would read as "missing".
        if (IsMounted(full))
        {
            throw new MountException(Directory.Exists(full)
                ? $"{full} is already a mount point (unmount it first)"
                : $"{full} is still mounted but its filesystem process is gone (transport endpoint is not connected); unmount it with: winreflink unmount {full}");
        }
        if (File.Exists(full))
        {
            throw new MountException($"mountpoint {full} is not a directory");
        }
        if (!Directory.Exists(full))
        {
            throw new MountException($"mountpoint {full} does not exist (create it with: mkdir -p {full})");
        }
        if (Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new MountException($"mountpoint {full} is not empty: mount on an empty directory");
        }
        return full;
    }

    /// <summary>Whether the path is the target of a mount, and its filesystem type (from /proc/self/mountinfo).</summary>
    public static bool IsMounted(string fullPath) => FindMount(fullPath) != null;

    public static string? FindMount(string fullPath)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent maj:min root mountpoint options ... - fstype source superoptions
                string[] f = line.Split(' ');
                if (f.Length > 4 && Unescape(f[4]) == fullPath)
                {
                    int dash = Array.IndexOf(f, "-");
                    return dash >= 0 && dash + 1 < f.Length ? f[dash + 1] : "unknown";
                }
            }
        }
        catch (IOException)
        {
            return null;
        }
        return null;
    }

    /// <summary>The device number (maj:min) of the mount at the path, for its bdi settings.</summary>
    public static string? DeviceOf(string fullPath)
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 4 && Unescape(f[4]) == fullPath)
            {
                return f[2];
            }
        }
        return null;
    }

    private static string Unescape(string s) => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
