namespace WinReflink.Protocol;

/// <summary>
/// The control channel both hosts carry (FUSE ioctl on Linux, DeviceIoControl through WinFsp's Control
/// callback on Windows): volume figures, extent listings, and explicit clones authorised by handles.
/// Payloads are fixed-size blittable structs (<see cref="CloneToken"/>, <see cref="CloneFromTokenRequest"/>,
/// <see cref="ExtentsPageHeader"/>, <see cref="ExtentRecord"/>) so each request fits one restricted ioctl.
/// </summary>
public static class ControlProtocol
{
    /// <summary>Bytes of the JSON answer to <see cref="LinuxIoctl.Info"/> (UTF-8, NUL-padded).</summary>
    public const int InfoBytes = 4096;
    /// <summary>
    /// Records per extents page: the header (32) and 127 records of 32 make 4096 bytes, the most a
    /// WinFsp DeviceControl request may carry either way (winfsp.md 4.2), so both hosts use one page size.
    /// </summary>
    public const int ExtentsPerPage = 127;
    public const int ExtentsPageBytes = 4096;
}
