using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Interop;

/// <summary>FSP_FSCTL_VOLUME_INFO, 88 bytes (winfsp.md 2.2). The label length is in bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal unsafe struct VolumeInfo
{
    public const int LabelChars = 32;

    [FieldOffset(0)] public ulong TotalSize;
    [FieldOffset(8)] public ulong FreeSize;
    [FieldOffset(16)] public ushort VolumeLabelLength;
    [FieldOffset(18)] public fixed char VolumeLabel[LabelChars];
}
