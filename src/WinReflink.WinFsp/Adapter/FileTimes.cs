namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// The engine keeps 100 ns ticks since the Unix epoch; WinFsp wants FILETIME, 100 ns ticks since 1601
/// (winfsp.md 1.4: FILETIME − 116444736000000000).
/// </summary>
internal static class FileTimes
{
    public const long UnixEpochAsFileTime = 116444736000000000;

    public static ulong ToFileTime(long unixTicks) =>
        unixTicks <= -UnixEpochAsFileTime ? 0 : (ulong)(unixTicks + UnixEpochAsFileTime);

    public static long ToUnixTicks(ulong fileTime) =>
        fileTime > long.MaxValue ? long.MaxValue - UnixEpochAsFileTime : (long)fileTime - UnixEpochAsFileTime;
}
