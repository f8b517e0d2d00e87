using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Interop;

/// <summary>
/// The 104-byte header of FSP_FSCTL_DIR_INFO (winfsp.md 2.5); the name (UTF-16, no NUL, one component)
/// follows it and <see cref="Size"/> counts both. NextOffset stays zero: DirectoryMarkerAsNextOffset is off.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 104)]
internal unsafe struct DirInfo
{
    public const int HeaderSize = 104;

    [FieldOffset(0)] public ushort Size;
    [FieldOffset(8)] public FileInfo FileInfo;
    [FieldOffset(80)] public ulong NextOffset;
    [FieldOffset(80)] public fixed byte Padding[24];
}
