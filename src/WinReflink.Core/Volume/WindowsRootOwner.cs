using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace WinReflink.Core.Volume;

/// <summary>
/// Who owns the root of a volume formatted on Windows: the user who formatted it, with full control
/// for that user, SYSTEM and Administrators, and read and traverse for everyone, inherited by what is
/// created below (the Windows counterpart of the 0755 root a Linux format makes). The Linux side sees
/// <see cref="LinuxUid"/> and <see cref="LinuxGid"/>, since a SID has no uid of its own.
/// </summary>
internal static class WindowsRootOwner
{
    /// <summary>The uid and gid a Windows-formatted root shows on Linux: the first user of most distributions.</summary>
    public const uint LinuxUid = 1000, LinuxGid = 1000;

    [SupportedOSPlatform("windows")]
    public static byte[] Descriptor()
    {
        using var identity = WindowsIdentity.GetCurrent();
        string user = identity.User?.Value ?? throw new VolumeException("cannot tell which Windows user is formatting the volume");
        // FA = full access; 0x1200A9 = read, execute and traverse; OICI = inherited by files and folders.
        string sddl = $"O:{user}G:{user}D:P(A;OICI;FA;;;{user})(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;WD)";
        var descriptor = new RawSecurityDescriptor(sddl);
        var bytes = new byte[descriptor.BinaryLength];
        descriptor.GetBinaryForm(bytes, 0);
        return bytes;
    }
}
