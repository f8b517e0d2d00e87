using System.Globalization;
using WinReflink.Core;

namespace WinReflink.Cli.Infrastructure;

/// <summary>How modes, file types and times read, in human and JSON output.</summary>
internal static class Display
{
    /// <summary>ls-style mode, "-rw-r--r--", "drwxr-xr-x", "lrwxrwxrwx".</summary>
    public static string ModeString(uint mode)
    {
        char type = (mode & PosixMode.TypeMask) switch
        {
            PosixMode.Directory => 'd',
            PosixMode.Symlink => 'l',
            PosixMode.Fifo => 'p',
            PosixMode.Socket => 's',
            PosixMode.CharDevice => 'c',
            PosixMode.BlockDevice => 'b',
            _ => '-',
        };
        Span<char> s = stackalloc char[10];
        s[0] = type;
        const string rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
        {
            s[i + 1] = (mode & (1u << (8 - i))) != 0 ? rwx[i] : '-';
        }
        if ((mode & PosixMode.SetUid) != 0)
        {
            s[3] = s[3] == 'x' ? 's' : 'S';
        }
        if ((mode & PosixMode.SetGid) != 0)
        {
            s[6] = s[6] == 'x' ? 's' : 'S';
        }
        if ((mode & PosixMode.Sticky) != 0)
        {
            s[9] = s[9] == 'x' ? 't' : 'T';
        }
        return new string(s);
    }

    public static string Permissions(uint mode) => Convert.ToString(mode & PosixMode.PermissionMask, 8).PadLeft(4, '0');

    public static string TypeName(uint mode) => (mode & PosixMode.TypeMask) switch
    {
        PosixMode.Directory => "directory",
        PosixMode.Symlink => "symlink",
        PosixMode.Fifo => "fifo",
        PosixMode.Socket => "socket",
        PosixMode.CharDevice => "chardev",
        PosixMode.BlockDevice => "blockdev",
        _ => "file",
    };

    /// <summary>Engine times are 100 ns ticks since the Unix epoch.</summary>
    public static DateTime ToUtc(long ticks) => new(DateTime.UnixEpoch.Ticks + ticks, DateTimeKind.Utc);

    public static string LocalTime(long ticks) => ToUtc(ticks).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string Iso(long ticks) => ToUtc(ticks).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A volume serial as Windows shows it, "1A2B-3C4D".</summary>
    public static string Serial(uint serial) => $"{serial >> 16:X4}-{serial & 0xFFFF:X4}";

    public static string Count(long n, string singular, string plural) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? singular : plural);
}
