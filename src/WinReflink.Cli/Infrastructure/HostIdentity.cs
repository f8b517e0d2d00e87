using WinReflink.Core.Interop;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Who owns the files the CLI creates: the calling user, as a mount would record the caller. Windows
/// volumes keep owners in security descriptors, so uid/gid stay 0 there.
/// </summary>
internal static class HostIdentity
{
    public static uint Uid => OperatingSystem.IsWindows() ? 0 : Libc.GetEffectiveUid();

    public static uint Gid => OperatingSystem.IsWindows() ? 0 : Libc.GetEffectiveGid();
}
