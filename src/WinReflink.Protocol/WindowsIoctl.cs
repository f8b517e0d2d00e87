namespace WinReflink.Protocol;

/// <summary>
/// Windows DeviceIoControl codes for WinFsp's Control callback (winfsp.md 4.2): a custom device type
/// (bit 15 set, so kernel32 sends an IOCTL rather than an FSCTL) and METHOD_BUFFERED, the only
/// combination WinFsp forwards. The required access is checked by the I/O manager against the handle.
/// </summary>
public static class WindowsIoctl
{
    /// <summary>0x8000 | 'W': a vendor device type.</summary>
    public const uint DeviceType = 0x8000 | 'W';
    public const uint MethodBuffered = 0;
    public const uint FileAnyAccess = 0;
    public const uint FileReadAccess = 1;
    public const uint FileWriteAccess = 2;

    /// <summary>The volume's figures as JSON (any handle on the volume, the root directory included).</summary>
    public const uint Info = (DeviceType << 16) | (FileAnyAccess << 14) | (0x801 << 2) | MethodBuffered;
    /// <summary>A page of the file's extents; in: <see cref="ExtentsPageHeader.StartIndex"/>.</summary>
    public const uint Extents = (DeviceType << 16) | (FileAnyAccess << 14) | (0x802 << 2) | MethodBuffered;
    /// <summary>On a handle with read access: a token naming this file as a clone source.</summary>
    public const uint GetCloneToken = (DeviceType << 16) | (FileReadAccess << 14) | (0x803 << 2) | MethodBuffered;
    /// <summary>On a handle with write access: clone from the token's file; Length comes back as the bytes cloned.</summary>
    public const uint CloneFromToken = (DeviceType << 16) | (FileWriteAccess << 14) | (0x804 << 2) | MethodBuffered;

    /// <summary>CTL_CODE(DeviceType, Function, Method, Access) of winioctl.h.</summary>
    public static uint CtlCode(uint deviceType, uint function, uint method, uint access) =>
        (deviceType << 16) | (access << 14) | (function << 2) | method;
}
