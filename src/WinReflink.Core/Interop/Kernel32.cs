using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace WinReflink.Core.Interop;

/// <summary>
/// The one declaration of each Windows call the core and the control client make (the client reaches
/// it through InternalsVisibleTo): the volume's sparse data file, and handles on a mount for its
/// control channel.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class Kernel32
{
    /// <summary>CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 49, METHOD_BUFFERED, FILE_SPECIAL_ACCESS).</summary>
    public const uint FsctlSetSparse = 0x000900C4;
    public const uint GenericRead = 0x80000000;
    public const uint GenericWrite = 0x40000000;
    public const uint FileShareRead = 0x1;
    public const uint FileShareWrite = 0x2;
    public const uint FileShareDelete = 0x4;
    public const uint OpenExisting = 3;
    public const uint CreateAlways = 2;
    /// <summary>Needed to open a directory (the volume root) as a handle for DeviceIoControl.</summary>
    public const uint FileFlagBackupSemantics = 0x02000000;
    public const int ErrorInvalidFunction = 1;

    [LibraryImport("kernel32.dll", EntryPoint = "CreateFileW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial SafeFileHandle CreateFile(string fileName, uint desiredAccess, uint shareMode, nint securityAttributes,
        uint creationDisposition, uint flagsAndAttributes, nint templateFile);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool DeviceIoControl(SafeFileHandle device, uint ioControlCode, void* inBuffer, uint inBufferSize,
        void* outBuffer, uint outBufferSize, uint* bytesReturned, nint overlapped);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool GetFileInformationByHandle(SafeFileHandle file, ByHandleFileInformation* information);
}

/// <summary>BY_HANDLE_FILE_INFORMATION, 52 bytes; only the file index is read.</summary>
[StructLayout(LayoutKind.Explicit, Size = 52)]
internal struct ByHandleFileInformation
{
    [FieldOffset(0)] public uint FileAttributes;
    [FieldOffset(28)] public uint VolumeSerialNumber;
    [FieldOffset(32)] public uint FileSizeHigh;
    [FieldOffset(36)] public uint FileSizeLow;
    [FieldOffset(40)] public uint NumberOfLinks;
    [FieldOffset(44)] public uint FileIndexHigh;
    [FieldOffset(48)] public uint FileIndexLow;
}
