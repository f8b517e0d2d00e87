namespace WinReflink.WinFsp.Interop;

/// <summary>The NTSTATUS values the host answers with (winfsp.md 2.7, ntstatus.h).</summary>
internal static class NtStatus
{
    public const int Success = 0;
    public const int BufferOverflow = unchecked((int)0x80000005);
    public const int InvalidParameter = unchecked((int)0xC000000D);
    public const int InvalidDeviceRequest = unchecked((int)0xC0000010);
    public const int EndOfFile = unchecked((int)0xC0000011);
    public const int AccessDenied = unchecked((int)0xC0000022);
    public const int BufferTooSmall = unchecked((int)0xC0000023);
    public const int ObjectNameInvalid = unchecked((int)0xC0000033);
    public const int ObjectNameNotFound = unchecked((int)0xC0000034);
    public const int ObjectNameCollision = unchecked((int)0xC0000035);
    public const int ObjectPathNotFound = unchecked((int)0xC000003A);
    public const int SharingViolation = unchecked((int)0xC0000043);
    public const int EaTooLarge = unchecked((int)0xC0000050);
    public const int NoEasOnFile = unchecked((int)0xC0000052);
    public const int InvalidSecurityDescr = unchecked((int)0xC0000079);
    public const int DiskFull = unchecked((int)0xC000007F);
    public const int MediaWriteProtected = unchecked((int)0xC00000A2);
    public const int FileIsADirectory = unchecked((int)0xC00000BA);
    public const int NotSameDevice = unchecked((int)0xC00000D4);
    public const int FileCorruptError = unchecked((int)0xC0000102);
    public const int UnexpectedIoError = unchecked((int)0xC00000E9);
    public const int DirectoryNotEmpty = unchecked((int)0xC0000101);
    public const int NotADirectory = unchecked((int)0xC0000103);
    public const int InvalidHandle = unchecked((int)0xC0000008);
    public const int CannotDelete = unchecked((int)0xC0000121);
    public const int TooManyLinks = unchecked((int)0xC0000265);
    public const int NotAReparsePoint = unchecked((int)0xC0000275);
    public const int CantWait = unchecked((int)0xC00000D8);
    public const int Cancelled = unchecked((int)0xC0000120);
    public const int InvalidVolumeLabel = unchecked((int)0xC0000086);
    public const int EasNotSupported = unchecked((int)0xC000004F);
}
