using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Interop;

/// <summary>FSP_FSCTL_VOLUME_PARAMS, the full V1 form of 504 bytes (winfsp.md 2.1).</summary>
[StructLayout(LayoutKind.Explicit, Size = 504)]
internal unsafe struct VolumeParams
{
    public const int PrefixChars = 192;
    public const int FileSystemNameChars = 16;

    [FieldOffset(0)] public ushort Version;
    [FieldOffset(2)] public ushort SectorSize;
    [FieldOffset(4)] public ushort SectorsPerAllocationUnit;
    [FieldOffset(6)] public ushort MaxComponentLength;
    [FieldOffset(8)] public ulong VolumeCreationTime;
    [FieldOffset(16)] public uint VolumeSerialNumber;
    [FieldOffset(20)] public uint TransactTimeout;
    [FieldOffset(24)] public uint IrpTimeout;
    [FieldOffset(28)] public uint IrpCapacity;
    [FieldOffset(32)] public uint FileInfoTimeout;
    [FieldOffset(36)] public VolumeFlags Flags;
    [FieldOffset(40)] public fixed char Prefix[PrefixChars];
    [FieldOffset(424)] public fixed char FileSystemName[FileSystemNameChars];
    [FieldOffset(456)] public uint AdditionalFlags;
    [FieldOffset(460)] public uint VolumeInfoTimeout;
    [FieldOffset(464)] public uint DirInfoTimeout;
    [FieldOffset(468)] public uint SecurityTimeout;
    [FieldOffset(472)] public uint StreamInfoTimeout;
    [FieldOffset(476)] public uint EaTimeout;
    [FieldOffset(480)] public uint FsextControlCode;
    [FieldOffset(484)] public uint Reserved32;
    [FieldOffset(488)] public fixed ulong Reserved64[2];
}

/// <summary>The bit-field flags at offset 36 of the volume parameters (winfsp.md 2.1, LSB first).</summary>
[Flags]
internal enum VolumeFlags : uint
{
    None = 0,
    CaseSensitiveSearch = 0x00000001,
    CasePreservedNames = 0x00000002,
    UnicodeOnDisk = 0x00000004,
    PersistentAcls = 0x00000008,
    ReparsePoints = 0x00000010,
    ReparsePointsAccessCheck = 0x00000020,
    NamedStreams = 0x00000040,
    HardLinks = 0x00000080,
    ExtendedAttributes = 0x00000100,
    ReadOnlyVolume = 0x00000200,
    PostCleanupWhenModifiedOnly = 0x00000400,
    PassQueryDirectoryPattern = 0x00000800,
    AlwaysUseDoubleBuffering = 0x00001000,
    PassQueryDirectoryFileName = 0x00002000,
    FlushAndPurgeOnCleanup = 0x00004000,
    DeviceControl = 0x00008000,
    UmFileContextIsUserContext2 = 0x00010000,
    UmFileContextIsFullContext = 0x00020000,
    UmNoReparsePointsDirCheck = 0x00040000,
    AllowOpenInKernelMode = 0x01000000,
    CasePreservedExtendedAttributes = 0x02000000,
    WslFeatures = 0x04000000,
    DirectoryMarkerAsNextOffset = 0x08000000,
    RejectIrpPriorToTransact0 = 0x10000000,
    SupportsPosixUnlinkRename = 0x20000000,
    PostDispositionWhenNecessaryOnly = 0x40000000,
}
