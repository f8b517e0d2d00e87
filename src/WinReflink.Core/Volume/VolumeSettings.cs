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
    /// <summary>Writes that repeat cached data share its blocks (issue 10). Stored only when off, so volumes from before it read as on.</summary>
    public bool CopyRecognition { get; init; } = true;
    public uint SerialNumber { get; init; }
    private long _nextIno;
    private long _nextGeneration;

    /// <summary>The number the next inode gets. Creations in different directories run at once, so they take numbers with <see cref="TakeIno"/>.</summary>
    public long NextIno
    {
        get => Volatile.Read(ref _nextIno);
        set => Volatile.Write(ref _nextIno, value);
    }

    public long NextGeneration
    {
        get => Volatile.Read(ref _nextGeneration);
        set => Volatile.Write(ref _nextGeneration, value);
    }

    /// <summary>A number no inode has had, atomically: two creations never get the same one.</summary>
    public long TakeIno() => Interlocked.Increment(ref _nextIno) - 1;

    /// <summary>A generation no inode has had, atomically.</summary>
    public long TakeGeneration() => Interlocked.Increment(ref _nextGeneration) - 1;
}
