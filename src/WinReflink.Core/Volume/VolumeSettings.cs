using WinReflink.Core.Namespace;

namespace WinReflink.Core.Volume;

/// <summary>The volume-wide settings stored in meta.db's settings table.</summary>
internal sealed class VolumeSettings
{
    /// <summary>The on-disk format this build reads and writes; docs/on-disk-format.md describes it.</summary>
    public const int CurrentFormatVersion = 6;
    /// <summary>Volumes from this version on are upgraded in place when opened for writing (1: no row checksums; 2: no stored case folding).</summary>
    public const int OldestUpgradableFormatVersion = 1;
    /// <summary>The first version that keeps its case folding in the volume.</summary>
    public const int StoredFoldingFormatVersion = 3;
    /// <summary>The first version that keeps its file, directory and extent counts in the settings, so open needs no count over the rows.</summary>
    public const int StoredCountsFormatVersion = 4;
    /// <summary>The first version that keeps the shared and saved block totals in the settings, so open reads no shared row.</summary>
    public const int StoredSharingFormatVersion = 5;
    /// <summary>The first version whose dirents rows keep the entry's file type, so a listing loads no inode.</summary>
    public const int DirentTypesFormatVersion = 6;
    /// <summary>The first version that keeps each inode's mapped block count in its row, so getattr needs no extent map.</summary>
    public const int StoredBlocksFormatVersion = 6;

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
    private long _fileCount;
    private long _directoryCount;
    private long _extentCount;
    private long _sharedBlocks;
    private long _savedBlocks;

    /// <summary>Inodes that are not directories, as of the running transaction (a creation or destruction counts at once).</summary>
    public long FileCount
    {
        get => Volatile.Read(ref _fileCount);
        init => _fileCount = value;
    }

    /// <summary>Directories, the root included, as of the running transaction.</summary>
    public long DirectoryCount
    {
        get => Volatile.Read(ref _directoryCount);
        init => _directoryCount = value;
    }

    /// <summary>Extent rows as of the last capture (<see cref="Namespace.InodeTable"/> adds what the running transaction changed).</summary>
    public long ExtentCount
    {
        get => Volatile.Read(ref _extentCount);
        init => _extentCount = value;
    }

    /// <summary>Blocks with two or more references, as of the last capture (<see cref="Extents.RefcountTable.Totals"/> is the running figure).</summary>
    public long SharedBlocks
    {
        get => Volatile.Read(ref _sharedBlocks);
        init => _sharedBlocks = value;
    }

    /// <summary>Blocks sharing saves (each shared block counted once per reference past the first), as of the last capture.</summary>
    public long SavedBlocks
    {
        get => Volatile.Read(ref _savedBlocks);
        init => _savedBlocks = value;
    }

    /// <summary>The sharing totals a capture stores (the refcount table's running figures at that moment).</summary>
    public void StoreSharing(long sharedBlocks, long savedBlocks)
    {
        Volatile.Write(ref _sharedBlocks, sharedBlocks);
        Volatile.Write(ref _savedBlocks, savedBlocks);
    }

    /// <summary>Counts an inode created (+1) or destroyed (-1); creations in different directories run at once.</summary>
    public void CountInode(bool directory, int delta) => Interlocked.Add(ref directory ? ref _directoryCount : ref _fileCount, delta);

    public void CountExtents(long delta) => Interlocked.Add(ref _extentCount, delta);

    /// <summary>Sets every count from a volume loaded whole (a repair, after it removed or rebuilt inodes).</summary>
    public void Recount(long files, long directories, long extents)
    {
        Volatile.Write(ref _fileCount, files);
        Volatile.Write(ref _directoryCount, directories);
        Volatile.Write(ref _extentCount, extents);
    }

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
