using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>FsError to the errno a FUSE reply carries (negated in the reply header).</summary>
internal static class Errno
{
    public static int From(FsError e) => e switch
    {
        FsError.Ok => 0,
        FsError.NotFound => LinuxNative.ENoEnt,
        FsError.Exists => LinuxNative.EExist,
        FsError.NotEmpty => LinuxNative.ENotEmpty,
        FsError.NotDirectory => LinuxNative.ENotDir,
        FsError.IsDirectory => LinuxNative.EIsDir,
        FsError.NoSpace => LinuxNative.ENoSpc,
        FsError.NameInvalid => LinuxNative.EInval,
        FsError.NameTooLong => LinuxNative.ENameTooLong,
        FsError.InvalidArgument => LinuxNative.EInval,
        FsError.FileTooLarge => LinuxNative.EFBig,
        FsError.PermissionDenied => LinuxNative.EPerm,
        FsError.CrossDevice => LinuxNative.EXDev,
        FsError.ReadOnly => LinuxNative.ERoFs,
        FsError.Busy => LinuxNative.EBusy,
        FsError.NoAttribute => LinuxNative.ENoData,
        FsError.AttributeTooLarge => LinuxNative.E2Big,
        FsError.NotSupported => LinuxNative.EOpNotSupp,
        FsError.Io => LinuxNative.EIo,
        FsError.BadHandle => LinuxNative.EBadF,
        FsError.TooManyLinks => LinuxNative.EMLink,
        FsError.NoData => LinuxNative.ENxio,
        FsError.DataDiffers => LinuxNative.EBadE,
        FsError.NotSymlink => LinuxNative.EInval,
        FsError.Corrupt => LinuxNative.EUClean,
        FsError.Interrupted => LinuxNative.EIntr,
        _ => LinuxNative.EIo,
    };
}
