using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Interop;

/// <summary>The 12-byte header of FSP_FSCTL_NOTIFY_INFO (winfsp.md 2.5); the full normalized path follows.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
internal struct NotifyInfo
{
    public const int HeaderSize = 12;

    [FieldOffset(0)] public ushort Size;
    [FieldOffset(4)] public uint Filter;
    [FieldOffset(8)] public uint Action;
}
