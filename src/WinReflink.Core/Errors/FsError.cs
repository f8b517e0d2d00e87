namespace WinReflink.Core.Errors;

/// <summary>
/// The one error vocabulary of the engine. Hosts map it to errno (FUSE) or NTSTATUS (WinFsp);
/// expected failures are returned as values, never thrown across the API.
/// </summary>
public enum FsError
{
    Ok = 0,
    NotFound,
    Exists,
    NotEmpty,
    NotDirectory,
    IsDirectory,
    NoSpace,
    NameInvalid,
    NameTooLong,
    InvalidArgument,
    FileTooLarge,
    PermissionDenied,
    CrossDevice,
    ReadOnly,
    Busy,
    NoAttribute,
    AttributeTooLarge,
    NotSupported,
    Io,
    BadHandle,
    TooManyLinks,
    NoData,
    DataDiffers,
    NotSymlink,
    Corrupt,
    /// <summary>Stopped on the caller's request (a cancelled token, FUSE_INTERRUPT) between steps; the part done stays.</summary>
    Interrupted,
}

public static class FsErrorText
{
    /// <summary>A short human sentence for CLI output and logs.</summary>
    public static string Describe(this FsError e) => e switch
    {
        FsError.Ok => "success",
        FsError.NotFound => "no such file or directory",
        FsError.Exists => "file exists",
        FsError.NotEmpty => "directory not empty",
        FsError.NotDirectory => "not a directory",
        FsError.IsDirectory => "is a directory",
        FsError.NoSpace => "no space left on the volume",
        FsError.NameInvalid => "invalid file name",
        FsError.NameTooLong => "file name too long (at most 255 characters and 255 UTF-8 bytes)",
        FsError.InvalidArgument => "invalid argument",
        FsError.FileTooLarge => "offset past the maximum file size",
        FsError.PermissionDenied => "operation not permitted",
        FsError.CrossDevice => "source and destination are on different volumes",
        FsError.ReadOnly => "the volume is read-only",
        FsError.Busy => "resource busy",
        FsError.NoAttribute => "no such extended attribute",
        FsError.AttributeTooLarge => "extended attribute too large",
        FsError.NotSupported => "operation not supported",
        FsError.Io => "input/output error",
        FsError.BadHandle => "bad file handle",
        FsError.TooManyLinks => "too many links",
        FsError.NoData => "no data past this offset",
        FsError.DataDiffers => "the ranges hold different bytes",
        FsError.NotSymlink => "not a symbolic link",
        FsError.Corrupt => "the volume is corrupt; it was switched to read-only",
        FsError.Interrupted => "interrupted",
        _ => e.ToString(),
    };
}
