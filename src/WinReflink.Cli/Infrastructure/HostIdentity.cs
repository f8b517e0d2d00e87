using System.Runtime.InteropServices;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Who owns the files the CLI creates: the calling user, as a mount would record the caller. Windows
/// volumes keep owners in security descriptors, so uid/gid stay 0 there.
/// </summary>
internal static partial class HostIdentity
{
    public static uint Uid => OperatingSystem.IsWindows() ? 0 : GetEuid();

    public static uint Gid => OperatingSystem.IsWindows() ? 0 : GetEgid();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEgid();
}
