using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

/// <summary>One extent of a file in an extents page.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ExtentRecord
{
    /// <summary>The bit of <see cref="Flags"/> for an unwritten extent (allocated, reads as zeros).</summary>
    public const uint Unwritten = 1;

    public ulong LogicalOffset;
    public ulong PhysicalOffset;
    public ulong Length;
    public uint ShareCount;
    /// <summary>Bit 0: <see cref="Unwritten"/>.</summary>
    public uint Flags;

    /// <summary>The record of an extent as the engine reports it (offsets and length in bytes, never negative).</summary>
    public static ExtentRecord Of(long logicalOffset, long physicalOffset, long length, int shareCount, bool unwritten) => new()
    {
        LogicalOffset = (ulong)logicalOffset,
        PhysicalOffset = (ulong)physicalOffset,
        Length = (ulong)length,
        ShareCount = (uint)shareCount,
        Flags = unwritten ? Unwritten : 0,
    };
}
