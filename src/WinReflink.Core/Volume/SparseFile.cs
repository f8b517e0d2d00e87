using System.Runtime.InteropServices;
using WinReflink.Core.Interop;

namespace WinReflink.Core.Volume;

/// <summary>
/// Makes data.img sparse before it is sized. Linux filesystems leave the unwritten range of a
/// truncated file unallocated by themselves; NTFS and ReFS allocate (and zero) it unless the file is
/// marked sparse first, which would cost the whole volume size at format.
/// </summary>
internal static class SparseFile
{
    public static unsafe void Prepare(FileStream file, string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            return;
        }
        uint returned;
        if (!Kernel32.DeviceIoControl(file.SafeFileHandle, Kernel32.FsctlSetSparse, null, 0, null, 0, &returned, 0))
        {
            int error = Marshal.GetLastPInvokeError();
            throw new VolumeException($"cannot make {path} a sparse file (Windows error {error}: {Marshal.GetPInvokeErrorMessage(error)}); a volume folder must be on NTFS or ReFS");
        }
    }
}
