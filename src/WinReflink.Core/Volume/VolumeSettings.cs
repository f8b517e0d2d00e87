using WinReflink.Core.Namespace;

namespace WinReflink.Core.Volume;

/// <summary>The volume-wide settings stored in meta.db's settings table.</summary>
internal sealed class VolumeSettings
{
    /// <summary>The on-disk format this build reads and writes; docs/on-disk-format.md describes it.</summary>
    public const int CurrentFormatVersion = 3;
    /// <summary>Volumes from this version on are upgraded in place when opened for writing (1: no row checksums; 2: no stored case folding).</summary>
    public const int OldestUpgradableFormatVersion = 1;
    /// <summary>The first version that keeps its case folding in the volume.</summary>
    public const int StoredFoldingFormatVersion = 3;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public int BlockSize { get; init; }
    public long CapacityBlocks { get; init; }
    public bool CaseSensitive { get; init; }
    /// <summary>How names become lookup keys: the identity on a case-sensitive volume, the stored upper-case table otherwise.</summary>
    public CaseFolding Folding { get; init; } = CaseFolding.Identity;
    public string Label { get; set; } = "";
    public uint SerialNumber { get; init; }
    public long NextIno { get; set; }
    public long NextGeneration { get; set; }
}
