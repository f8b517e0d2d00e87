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
