using System.Runtime.InteropServices;

namespace WinReflink.Client.Linux;

/// <summary>The libc calls of the Linux control client, one declaration each.</summary>
internal static unsafe partial class Libc
{
    public const int ORdWr = 2;
    public const int ORdOnly = 0;
    public const int OCloExec = 0x80000;
    public const int ENoSys = 38;
    public const int ENotTy = 25;
    public const int EOpNotSupp = 95;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Stat(string path, byte* statBuffer);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
