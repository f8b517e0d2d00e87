using System.Runtime.InteropServices;

namespace WinReflink.Core.Interop;

/// <summary>
/// The one declaration of each libc call the core, the FUSE host, the control client and the CLI share
/// (they reach it through InternalsVisibleTo); calls only the FUSE host makes are in its LinuxNative.
/// </summary>
internal static unsafe partial class Libc
{
    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OCloExec = 0x80000;
    public const int EInval = 22;
    public const int ENotTy = 25;
    public const int ENoSys = 38;
    public const int EOpNotSupp = 95;
    /// <summary>madvise: fault the range in, writable, now (Linux 5.14).</summary>
    public const int MadvPopulateWrite = 23;

    /// <summary>O_DIRECT differs between architectures (asm-generic vs x86 and arm64 values).</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0x4000,
    };

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Stat(string path, byte* statBuffer);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(void* address, nuint length, int advice);

    /// <summary>syscall(2) with its six argument registers spelled out, for calls glibc does not wrap (native AIO).</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEffectiveGid();
}
