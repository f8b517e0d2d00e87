namespace WinReflink.WinFsp.Interop;

/// <summary>CreateOptions bits and the disposition carried in its top byte (ntifs.h).</summary>
internal static class CreateOptions
{
    public const uint DirectoryFile = 0x00000001;
    public const uint NonDirectoryFile = 0x00000040;
}

/// <summary>Access mask bits the host looks at in GrantedAccess (winnt.h; generic rights are mapped by then).</summary>
internal static class AccessMask
{
    public const uint ReadData = 0x0001;
    public const uint WriteData = 0x0002;
    public const uint AppendData = 0x0004;
    public const uint Delete = 0x00010000;
}

/// <summary>FILE_ATTRIBUTE_* values the host adds or tests itself.</summary>
internal static class FileAttributeBits
{
    public const uint ReadOnly = 0x1;
    public const uint Directory = 0x10;
    public const uint Archive = 0x20;
    public const uint Normal = 0x80;
    public const uint Invalid = 0xFFFFFFFF;
}

/// <summary>Cleanup flags (winfsp.md 2.7).</summary>
[Flags]
internal enum CleanupFlags : uint
{
    None = 0,
    Delete = 0x01,
    SetAllocationSize = 0x02,
    SetArchiveBit = 0x10,
    SetLastAccessTime = 0x20,
    SetLastWriteTime = 0x40,
    SetChangeTime = 0x80,
}

/// <summary>FILE_NOTIFY_CHANGE_* and FILE_ACTION_* for FspFileSystemNotify (winnt.h).</summary>
internal static class NotifyValues
{
    public const uint ChangeSize = 0x00000008;
    public const uint ChangeLastWrite = 0x00000010;
    public const uint ActionModified = 3;
}

/// <summary>FSP_FILE_SYSTEM_OPERATION_GUARD_STRATEGY (winfsp.md 1.4).</summary>
internal static class OperationGuardStrategy
{
    public const int Fine = 0;
    public const int Coarse = 1;
}

/// <summary>Where the host's own pointer lives in the DLL's FSP_FILE_SYSTEM (winfsp.md 2.6).</summary>
internal static class FileSystemLayout
{
    /// <summary>PVOID UserContext at offset 8 (x64/ARM64), IntPtr.Size in general.</summary>
    public static readonly int UserContextOffset = IntPtr.Size;
    /// <summary>sizeof(FSP_FILE_SYSTEM) on 64-bit; tests allocate one of this size to stand for the DLL's.</summary>
    public const int Size64 = 792;
}
