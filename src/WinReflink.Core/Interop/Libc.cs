using System.Runtime.InteropServices;

namespace WinReflink.Core.Interop;

/// <summary>The few libc calls .NET does not expose: open with O_DIRECT.</summary>
internal static unsafe partial class Libc
{
    public const int ORdWr = 2;
    public const int OCloExec = 0x80000;
    public const int EInval = 22;

    /// <summary>O_DIRECT differs between architectures (asm-generic vs x86 and arm64 values).</summary>
    public static int ODirect => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0x4000,
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);
}

internal static unsafe partial class Libc
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEffectiveGid();
}
