namespace WinReflink.Fuse.Interop;

/// <summary>Request opcodes of the FUSE kernel protocol (linux/fuse.h, protocol 7.45).</summary>
internal enum FuseOpcode : uint
{
    Lookup = 1,
    Forget = 2,
    GetAttr = 3,
    SetAttr = 4,
    ReadLink = 5,
    Symlink = 6,
    MkNod = 8,
    MkDir = 9,
    Unlink = 10,
    RmDir = 11,
    Rename = 12,
    Link = 13,
    Open = 14,
    Read = 15,
    Write = 16,
    StatFs = 17,
    Release = 18,
    Fsync = 20,
    SetXattr = 21,
    GetXattr = 22,
    ListXattr = 23,
    RemoveXattr = 24,
    Flush = 25,
    Init = 26,
    OpenDir = 27,
    ReadDir = 28,
    ReleaseDir = 29,
    FsyncDir = 30,
    GetLk = 31,
    SetLk = 32,
    SetLkW = 33,
    Access = 34,
    Create = 35,
    Interrupt = 36,
    BMap = 37,
    Destroy = 38,
    Ioctl = 39,
    Poll = 40,
    NotifyReply = 41,
    BatchForget = 42,
    Fallocate = 43,
    ReadDirPlus = 44,
    Rename2 = 45,
    LSeek = 46,
    CopyFileRange = 47,
    SetupMapping = 48,
    RemoveMapping = 49,
    SyncFs = 50,
    TmpFile = 51,
    Statx = 52,
    CopyFileRange64 = 53,
}

/// <summary>INIT flag bits; bits 32 and up travel in flags2 and need <see cref="InitExt"/>.</summary>
internal static class FuseInitFlags
{
    public const ulong AsyncRead = 1UL << 0;
    public const ulong AtomicOTrunc = 1UL << 3;
    public const ulong BigWrites = 1UL << 5;
    public const ulong HasIoctlDir = 1UL << 11;
    public const ulong AutoInvalData = 1UL << 12;
    public const ulong DoReadDirPlus = 1UL << 13;
    public const ulong ReadDirPlusAuto = 1UL << 14;
    public const ulong AsyncDio = 1UL << 15;
    public const ulong ParallelDirOps = 1UL << 18;
    public const ulong MaxPages = 1UL << 22;
    public const ulong CacheSymlinks = 1UL << 23;
    public const ulong HandleKillPrivV2 = 1UL << 28;
    public const ulong InitExt = 1UL << 30;
    public const ulong DirectIoAllowMmap = 1UL << 36;
}

/// <summary>fuse_open_out.open_flags.</summary>
internal static class FuseOpenFlags
{
    public const uint DirectIo = 1 << 0;
    public const uint KeepCache = 1 << 1;
    public const uint ParallelDirectWrites = 1 << 6;
}

/// <summary>fuse_setattr_in.valid.</summary>
internal static class FuseSetAttrValid
{
    public const uint Mode = 1 << 0;
    public const uint Uid = 1 << 1;
    public const uint Gid = 1 << 2;
    public const uint Size = 1 << 3;
    public const uint ATime = 1 << 4;
    public const uint MTime = 1 << 5;
    public const uint Fh = 1 << 6;
    public const uint ATimeNow = 1 << 7;
    public const uint MTimeNow = 1 << 8;
    public const uint LockOwner = 1 << 9;
    public const uint CTime = 1 << 10;
    public const uint KillSuidGid = 1 << 11;
}

internal static class FuseConstants
{
    public const uint KernelMajor = 7;
    /// <summary>The newest minor version this host speaks (COPY_FILE_RANGE_64 arrived in 7.45).</summary>
    public const uint KernelMinor = 45;
    public const int MaxWrite = 1 << 20;
    public const int MaxPages = 256;
    /// <summary>A request buffer must hold max_write plus headers, or the kernel's read fails with EINVAL.</summary>
    public const int RequestBufferBytes = MaxWrite + 8192;
    public const uint WriteKillSuidGid = 1 << 2;
    public const uint OpenKillSuidGid = 1 << 0;
    public const uint GetAttrFh = 1 << 0;
    public const uint IoctlDir = 1 << 4;
    public const int NotifyInvalInode = 2;
    public const int NotifyInvalEntry = 3;
    /// <summary>Protocol 7.44: every dentry cached so far must be looked up again (no payload, takes no lock).</summary>
    public const int NotifyIncEpoch = 8;
    public const uint IncEpochMinor = 44;
}
