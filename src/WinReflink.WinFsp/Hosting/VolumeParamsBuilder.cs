using WinReflink.Core;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Hosting;

/// <summary>The FSP_FSCTL_VOLUME_PARAMS a volume is created with (winfsp.md 2.1, 3.x; choices in docs/windows.md).</summary>
internal static unsafe class VolumeParamsBuilder
{
    public const string FileSystemName = "WinReflink";
    public const uint InfiniteTimeout = 0xFFFFFFFF;
    private const int MaxSectorSize = 4096;

    /// <summary>The flags every WinReflink volume sets; CaseSensitiveSearch and ReadOnlyVolume depend on the volume.</summary>
    public const VolumeFlags CommonFlags =
        VolumeFlags.CasePreservedNames
        | VolumeFlags.UnicodeOnDisk
        | VolumeFlags.PersistentAcls
        | VolumeFlags.PostCleanupWhenModifiedOnly
        | VolumeFlags.PostDispositionWhenNecessaryOnly
        | VolumeFlags.PassQueryDirectoryFileName
        | VolumeFlags.DeviceControl
        | VolumeFlags.SupportsPosixUnlinkRename
        | VolumeFlags.UmFileContextIsUserContext2;

    public static VolumeParams Build(FileSystem fs, WinFspMountOptions options, string? volumePrefix)
    {
        var stats = fs.StatFs();
        fs.GetAttributes(FileSystem.RootIno, out var root);
        // An allocation unit is one volume block: a sector of at most 4 KiB times as many as make a block.
        int sector = Math.Min(fs.BlockSize, MaxSectorSize);
        var p = new VolumeParams
        {
            Version = (ushort)sizeof(VolumeParams),
            SectorSize = (ushort)sector,
            SectorsPerAllocationUnit = (ushort)(fs.BlockSize / sector),
            MaxComponentLength = 255,
            VolumeCreationTime = FileTimes.ToFileTime(root.BirthTime),
            VolumeSerialNumber = stats.SerialNumber,
            FileInfoTimeout = options.KernelCache ? InfiniteTimeout : options.FileInfoTimeoutMs,
            Flags = CommonFlags
                | (fs.CaseSensitive ? VolumeFlags.CaseSensitiveSearch : VolumeFlags.None)
                | (fs.IsReadOnly ? VolumeFlags.ReadOnlyVolume : VolumeFlags.None),
        };
        FileSystemName.AsSpan().CopyTo(new Span<char>(p.FileSystemName, VolumeParams.FileSystemNameChars));
        if (volumePrefix != null)
        {
            int chars = Math.Min(volumePrefix.Length, VolumeParams.PrefixChars - 1);
            volumePrefix.AsSpan(0, chars).CopyTo(new Span<char>(p.Prefix, VolumeParams.PrefixChars));
        }
        return p;
    }
}
