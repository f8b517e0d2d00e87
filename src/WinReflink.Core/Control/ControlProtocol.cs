using System.Runtime.InteropServices;

namespace WinReflink.Core.Control;

/// <summary>
/// The control channel both hosts carry (FUSE ioctl on Linux, DeviceIoControl through WinFsp's Control
/// callback on Windows): volume figures, extent listings, and explicit clones authorised by handles.
/// Payloads are fixed-size blittable structs so each request fits one restricted ioctl.
/// </summary>
public static class ControlProtocol
{
    /// <summary>Bytes of the JSON answer to <see cref="LinuxIoctl.Info"/> (UTF-8, NUL-padded).</summary>
    public const int InfoBytes = 4096;
    /// <summary>
    /// Records per extents page: the header (32) and 127 records of 32 make 4096 bytes, the most a
    /// WinFsp DeviceControl request may carry either way (winfsp.md 4.2), so both hosts use one page size.
    /// </summary>
    public const int ExtentsPerPage = 127;
    public const int ExtentsPageBytes = 4096;

    /// <summary>How long a clone token stays valid after it is issued.</summary>
    public static readonly TimeSpan CloneTokenLifetime = TimeSpan.FromSeconds(60);
}

/// <summary>Linux ioctl request numbers (_IOC encoding: dir &lt;&lt; 30 | size &lt;&lt; 16 | 'W' &lt;&lt; 8 | nr).</summary>
public static class LinuxIoctl
{
    private const uint Write = 1, Read = 2;
    private const uint Type = 'W';

    private static uint Ioc(uint dir, uint nr, uint size) => (dir << 30) | (size << 16) | (Type << 8) | nr;

    /// <summary>Read the volume's figures as JSON (any file or directory of the mount).</summary>
    public static readonly uint Info = Ioc(Read, 1, ControlProtocol.InfoBytes);
    /// <summary>Read a page of the file's extents; in: <see cref="ExtentsPageHeader.StartIndex"/>.</summary>
    public static readonly uint Extents = Ioc(Read | Write, 2, ControlProtocol.ExtentsPageBytes);
    /// <summary>On a handle open for reading: a token naming this file as a clone source.</summary>
    public static readonly uint GetCloneToken = Ioc(Read, 3, (uint)Marshal.SizeOf<CloneToken>());
    /// <summary>On a handle open for writing: clone a range of the token's file into this one; Length comes back as the bytes cloned.</summary>
    public static readonly uint CloneFromToken = Ioc(Read | Write, 4, (uint)Marshal.SizeOf<CloneFromTokenRequest>());
}

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

[StructLayout(LayoutKind.Sequential)]
public struct CloneToken
{
    public ulong Token;
}

[StructLayout(LayoutKind.Sequential)]
public struct CloneFromTokenRequest
{
    public ulong Token;
    public ulong SourceOffset;
    public ulong DestinationOffset;
    /// <summary>Bytes to clone; <see cref="ulong.MaxValue"/> means to the source's end.</summary>
    public ulong Length;
    public ulong Reserved;
}

/// <summary>Header of an extents page; <see cref="ExtentRecord"/> entries follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ExtentsPageHeader
{
    public ulong StartIndex;
    public uint Count;
    public uint Flags;
    public ulong Total;
    public ulong Reserved;
}

[StructLayout(LayoutKind.Sequential)]
public struct ExtentRecord
{
    public ulong LogicalOffset;
    public ulong PhysicalOffset;
    public ulong Length;
    public uint ShareCount;
    /// <summary>Bit 0: unwritten (allocated, reads as zeros).</summary>
    public uint Flags;
}
