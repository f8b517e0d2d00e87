using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// The one translation of the engine's errors into the NTSTATUS values Windows programs expect
/// (winfsp.md 2.7 for the values, 3.3 and 3.4 for which one NTFS gives). Callbacks that know more
/// (a missing parent is OBJECT_PATH_NOT_FOUND, not OBJECT_NAME_NOT_FOUND) say so themselves.
/// </summary>
internal static class StatusMapping
{
    public static int ToNtStatus(this FsError error) => error switch
    {
        FsError.Ok => NtStatus.Success,
        FsError.NotFound => NtStatus.ObjectNameNotFound,
        FsError.Exists => NtStatus.ObjectNameCollision,
        FsError.NotEmpty => NtStatus.DirectoryNotEmpty,
        FsError.NotDirectory => NtStatus.NotADirectory,
        FsError.IsDirectory => NtStatus.FileIsADirectory,
        FsError.NoSpace => NtStatus.DiskFull,
        // NTFS answers an over-long component as an invalid name, not as ERROR_FILENAME_EXCED_RANGE.
        FsError.NameInvalid or FsError.NameTooLong => NtStatus.ObjectNameInvalid,
        FsError.InvalidArgument => NtStatus.InvalidParameter,
        // An end of file past the engine's 1 PiB limit: NTFS reports it as a full disk.
        FsError.FileTooLarge => NtStatus.DiskFull,
        FsError.PermissionDenied => NtStatus.AccessDenied,
        FsError.CrossDevice => NtStatus.NotSameDevice,
        FsError.ReadOnly => NtStatus.MediaWriteProtected,
        FsError.Busy => NtStatus.SharingViolation,
        FsError.NoAttribute => NtStatus.NoEasOnFile,
        FsError.AttributeTooLarge => NtStatus.EaTooLarge,
        // What WinFsp itself answers for an operation a file system does not implement (ERROR_INVALID_FUNCTION).
        FsError.NotSupported => NtStatus.InvalidDeviceRequest,
        FsError.Io => NtStatus.UnexpectedIoError,
        FsError.BadHandle => NtStatus.InvalidHandle,
        FsError.TooManyLinks => NtStatus.TooManyLinks,
        FsError.NoData => NtStatus.EndOfFile,
        FsError.DataDiffers => NtStatus.InvalidParameter,
        FsError.NotSymlink => NtStatus.NotAReparsePoint,
        FsError.Corrupt => NtStatus.FileCorruptError,
        FsError.Interrupted => NtStatus.Cancelled,
        _ => NtStatus.UnexpectedIoError,
    };
}
