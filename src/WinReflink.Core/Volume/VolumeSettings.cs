namespace WinReflink.Core.Volume;

/// <summary>The volume-wide settings stored in meta.db's settings table.</summary>
internal sealed class VolumeSettings
{
    /// <summary>The on-disk format this build reads and writes; docs/on-disk-format.md describes it.</summary>
    public const int CurrentFormatVersion = 2;
    /// <summary>Volumes of this version (no row checksums) are upgraded in place when opened for writing.</summary>
    public const int OldestUpgradableFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public int BlockSize { get; init; }
    public long CapacityBlocks { get; init; }
    public bool CaseSensitive { get; init; }
    public string Label { get; set; } = "";
    public uint SerialNumber { get; init; }
    public long NextIno { get; set; }
    public long NextGeneration { get; set; }
}
