namespace WinReflink.Core;

/// <summary>POSIX file type bits of <see cref="InodeAttributes.Mode"/> (the values of st_mode).</summary>
public static class PosixMode
{
    public const uint TypeMask = 0xF000;
    public const uint Fifo = 0x1000;
    public const uint CharDevice = 0x2000;
    public const uint Directory = 0x4000;
    public const uint BlockDevice = 0x6000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;
    public const uint Socket = 0xC000;
    public const uint SetUid = 0x800;
    public const uint SetGid = 0x400;
    public const uint Sticky = 0x200;
    public const uint PermissionMask = 0xFFF;

    public static bool IsDirectory(uint mode) => (mode & TypeMask) == Directory;
    public static bool IsRegular(uint mode) => (mode & TypeMask) == Regular;
    public static bool IsSymlink(uint mode) => (mode & TypeMask) == Symlink;
}

/// <summary>Windows file attribute bits the engine stores (FILE_ATTRIBUTE_*).</summary>
[Flags]
public enum WindowsAttributes : uint
{
    None = 0,
    ReadOnly = 0x1,
    Hidden = 0x2,
    System = 0x4,
    Directory = 0x10,
    Archive = 0x20,
    Normal = 0x80,
    Temporary = 0x100,
    SparseFile = 0x200,
    ReparsePoint = 0x400,
    Compressed = 0x800,
    Offline = 0x1000,
    NotContentIndexed = 0x2000,
    Encrypted = 0x4000,
}

/// <summary>
/// What getattr returns. Times are 100 ns ticks since the Unix epoch (signed), which both hosts
/// convert without loss: FUSE to seconds + nanoseconds, WinFsp to FILETIME.
/// </summary>
public readonly record struct InodeAttributes(
    long Ino,
    uint Mode,
    uint Nlink,
    uint Uid,
    uint Gid,
    ulong Rdev,
    long Size,
    long AllocatedBytes,
    long AccessTime,
    long ModifyTime,
    long ChangeTime,
    long BirthTime,
    WindowsAttributes WindowsAttributes,
    long Generation,
    int BlockSize)
{
    public bool IsDirectory => PosixMode.IsDirectory(Mode);
    public bool IsRegular => PosixMode.IsRegular(Mode);
}

/// <summary>Which fields of a <see cref="SetAttributesRequest"/> apply.</summary>
[Flags]
public enum SetAttributeFields
{
    None = 0,
    Mode = 1,
    Uid = 2,
    Gid = 4,
    Size = 8,
    AccessTime = 16,
    ModifyTime = 32,
    ChangeTime = 64,
    BirthTime = 128,
    WindowsAttributes = 256,
    AccessTimeNow = 512,
    ModifyTimeNow = 1024,
    /// <summary>Clear set-user-ID and set-group-ID as POSIX requires on chown and on write by a non-owner.</summary>
    KillSuidSgid = 2048,
}

public readonly record struct SetAttributesRequest(
    SetAttributeFields Fields,
    uint Mode = 0,
    uint Uid = 0,
    uint Gid = 0,
    long Size = 0,
    long AccessTime = 0,
    long ModifyTime = 0,
    long ChangeTime = 0,
    long BirthTime = 0,
    WindowsAttributes WindowsAttributes = WindowsAttributes.None);

/// <summary>Who creates a new inode and with which mode (type bits included; umask already applied).</summary>
public readonly record struct CreateRequest(
    uint Mode,
    uint Uid,
    uint Gid,
    WindowsAttributes WindowsAttributes = WindowsAttributes.None,
    ulong Rdev = 0,
    byte[]? SecurityDescriptor = null);

[Flags]
public enum RenameFlags
{
    None = 0,
    NoReplace = 1,
    Exchange = 2,
    /// <summary>Leave a whiteout (a character device 0/0, as overlayfs reads it) in place of the source.</summary>
    Whiteout = 4,
}

/// <summary>
/// Per-inode flags of FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (lsattr, chattr), with Linux's FS_*_FL values.
/// Only a privileged caller (CAP_LINUX_IMMUTABLE) may set or clear Immutable and AppendOnly.
/// </summary>
[Flags]
public enum InodeFlags : uint
{
    None = 0,
    /// <summary>No change at all: no write, truncate, attribute change, link, unlink or rename (chattr +i).</summary>
    Immutable = 0x10,
    /// <summary>Data only added at the end; no truncate, unlink or rename (chattr +a).</summary>
    AppendOnly = 0x20,
    /// <summary>Skipped by dump(8) (chattr +d); stored, nothing else.</summary>
    NoDump = 0x40,
}

/// <summary>What an open handle will do with a file, for the checks that flags impose at open.</summary>
[Flags]
public enum OpenIntent
{
    Read = 0,
    Write = 1,
    /// <summary>Every write goes to the end (O_APPEND / FILE_APPEND_DATA only).</summary>
    Append = 2,
    Truncate = 4,
}

public enum AllocateMode
{
    /// <summary>Reserve space and extend the size (fallocate mode 0).</summary>
    Allocate,
    /// <summary>Reserve space without changing the size (FALLOC_FL_KEEP_SIZE).</summary>
    KeepSize,
    /// <summary>Deallocate and read back zeros; size unchanged (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE).</summary>
    PunchHole,
    /// <summary>Read back zeros with space reserved; extends the size (FALLOC_FL_ZERO_RANGE).</summary>
    ZeroRange,
    /// <summary>ZERO_RANGE | KEEP_SIZE.</summary>
    ZeroRangeKeepSize,
}

public enum SeekWhence
{
    Data,
    Hole,
}

[Flags]
public enum XattrFlags
{
    None = 0,
    Create = 1,
    Replace = 2,
}

/// <summary>One directory entry handed to a readdir visitor; <see cref="Cookie"/> resumes after it.</summary>
public readonly record struct DirectoryEntry(string Name, long Ino, uint Mode, long Cookie);

/// <summary>One extent of a file as `extents` lists it.</summary>
public readonly record struct FileExtent(long LogicalOffset, long PhysicalOffset, long Length, int ShareCount, bool Unwritten);

/// <summary>statfs figures, in blocks of <see cref="BlockSize"/>.</summary>
public readonly record struct VolumeStatistics(
    int BlockSize,
    long TotalBlocks,
    long FreeBlocks,
    long Files,
    long FreeFiles,
    int MaxNameLength,
    uint SerialNumber,
    string Label,
    bool CaseSensitive);

/// <summary>What `info` reports. Shared bytes are physical bytes mapped more than once; saved bytes are what sharing saves.</summary>
public readonly record struct VolumeInfo(
    long CapacityBytes,
    long UsedBytes,
    long FreeBytes,
    long SharedBytes,
    long SavedBytes,
    long Files,
    long Directories,
    long Extents,
    int BlockSize,
    bool CaseSensitive,
    string Label,
    uint SerialNumber,
    int FormatVersion);
