using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Interop;

/// <summary>
/// FSP_FSCTL_OPEN_FILE_INFO, 88 bytes on 64-bit (winfsp.md 2.4): the true type behind the FileInfo
/// argument of Create, CreateEx and Open. NormalizedNameSize is the buffer's capacity in bytes on entry
/// and the bytes written (no NUL) on return.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct OpenFileInfo
{
    public FileInfo FileInfo;
    public char* NormalizedName;
    public ushort NormalizedNameSize;
}
