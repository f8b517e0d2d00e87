using Microsoft.Extensions.Logging;
using WinReflink.Core.Storage;
using WinReflink.Core.Volume;

namespace WinReflink.Core;

/// <summary>How `format` lays out a new volume.</summary>
public sealed class FormatOptions
{
    public const long DefaultSizeBytes = 64L << 30;
    public const int DefaultBlockSize = 4096;

    public long SizeBytes { get; init; } = DefaultSizeBytes;
    public int BlockSize { get; init; } = DefaultBlockSize;
    public bool CaseSensitive { get; init; }
    public string Label { get; init; } = "";
    /// <summary>Writes that repeat cached data share its blocks (issue 10); a mount may still turn it off.</summary>
    public bool CopyRecognition { get; init; } = true;
    /// <summary>
    /// Random unless given. Its decimal text sits in a settings row, so its length moves every byte
    /// after it: the damaged-volume corpus fixes it to flip the same field on every run.
    /// </summary>
    internal uint? SerialNumber { get; init; }
}

/// <summary>How a volume is opened.</summary>
public sealed class OpenOptions
{
    /// <summary>ExtentCache size; by default a quarter of the machine's memory.</summary>
    public long? CacheSizeBytes { get; init; }
    /// <summary>Dirty bytes allowed before write-back starts; by default 256 MiB (at most half the cache).</summary>
    public long? DirtyLimitBytes { get; init; }
    /// <summary>How often the running transaction commits on its own (group commit).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(2);
    public bool ReadOnly { get; init; }
    /// <summary>Whether writes that repeat cached data share its blocks; null: as the volume says (on unless formatted without).</summary>
    public bool? CopyRecognition { get; init; }
    /// <summary>
    /// Memory for inodes loaded from meta.db (with their entries, extents and attributes) beyond those
    /// something holds or changed; past it the least recently used clean ones are dropped and loaded
    /// again when touched (issue 11). By default 64 MiB. The shared ranges loaded on demand get a
    /// quarter of it again (<see cref="Extents.RefcountTable"/>: about 260,000 rows by default).
    /// </summary>
    public long? MetadataCacheBytes { get; init; }
    /// <summary>Opened by `check --repair`: every inode is loaded and validated at open, for the repair to work on.</summary>
    public bool Repairing { get; init; }
    public ILoggerFactory? LoggerFactory { get; init; }
    /// <summary>
    /// Dirty data goes to the data file from a thread of its own (the default); tests that count the
    /// store's calls turn it off so every write happens on the calling thread, in a fixed order.
    /// </summary>
    internal bool BackgroundWriteBack { get; init; } = true;
    /// <summary>Tests substitute a store that can lose unflushed writes.</summary>
    internal Func<VolumeSettings, BlockStore>? BlockStoreFactory { get; init; }
}
