namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>Reads /proc/self/mountinfo.</summary>
internal static class MountTable
{
    /// <summary>The filesystem type mounted at the path, or null.</summary>
    public static string? TypeAt(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 4 && f[4] == full)
            {
                int dash = Array.IndexOf(f, "-");
                return dash >= 0 && dash + 1 < f.Length ? f[dash + 1] : "";
            }
        }
        return null;
    }

    public static bool IsMounted(string path) => TypeAt(path) != null;
}
