using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

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
