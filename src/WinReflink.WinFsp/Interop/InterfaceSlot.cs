namespace WinReflink.WinFsp.Interop;

/// <summary>
/// Slot numbers of FSP_FILE_SYSTEM_INTERFACE, 64 pointers (winfsp.md 2.7). Slot 31 (Obsolete0) and
/// 33–63 (Reserved) stay NULL; Create, Overwrite and CanDelete stay NULL because their Ex forms and
/// SetDelete take precedence (winfsp.md 3.2).
/// </summary>
internal enum InterfaceSlot
{
    GetVolumeInfo = 0,
    SetVolumeLabel = 1,
    GetSecurityByName = 2,
    Create = 3,
    Open = 4,
    Overwrite = 5,
    Cleanup = 6,
    Close = 7,
    Read = 8,
    Write = 9,
    Flush = 10,
    GetFileInfo = 11,
    SetBasicInfo = 12,
    SetFileSize = 13,
    CanDelete = 14,
    Rename = 15,
    GetSecurity = 16,
    SetSecurity = 17,
    ReadDirectory = 18,
    ResolveReparsePoints = 19,
    GetReparsePoint = 20,
    SetReparsePoint = 21,
    DeleteReparsePoint = 22,
    GetStreamInfo = 23,
    GetDirInfoByName = 24,
    Control = 25,
    SetDelete = 26,
    CreateEx = 27,
    OverwriteEx = 28,
    GetEa = 29,
    SetEa = 30,
    Obsolete0 = 31,
    DispatcherStopped = 32,
}

internal static class InterfaceTable
{
    public const int SlotCount = 64;
}
