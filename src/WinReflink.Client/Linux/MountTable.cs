using System.Text;

namespace WinReflink.Client.Linux;

/// <summary>The mounted WinReflink volumes of a Linux system: /proc/self/mountinfo, type fuse.winreflink.</summary>
internal static class MountTable
{
    private const string FsType = "fuse.winreflink";
    /// <summary>The FUSE host names its mounts' source "winreflink:" and the volume folder.</summary>
    private const string SourcePrefix = "winreflink:";

    public static IReadOnlyList<MountedVolume> Mounts()
    {
        var result = new List<MountedVolume>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 5 || dash + 2 >= fields.Length || fields[dash + 1] != FsType)
            {
                continue;
            }
            string source = Unescape(fields[dash + 2]);
            result.Add(new MountedVolume(Unescape(fields[4]), source.StartsWith(SourcePrefix, StringComparison.Ordinal) ? source[SourcePrefix.Length..] : source));
        }
        return result;
    }

    /// <summary>The mount holding a path (the longest mount point that contains it), or null.</summary>
    public static MountedVolume? Containing(string fullPath)
    {
        MountedVolume? best = null;
        foreach (var m in Mounts())
        {
            bool inside = fullPath == m.MountPoint || fullPath.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (inside && (best == null || m.MountPoint.Length > best.MountPoint.Length))
            {
                best = m;
            }
        }
        return best;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo octal escapes.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits)
    {
        foreach (char d in digits)
        {
            if (d is < '0' or > '7')
            {
                return false;
            }
        }
        return true;
    }
}
