using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;
using WinReflink.Core.Check;
using WinReflink.Core.Metadata;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Volume;

/// <summary>
/// A volume as opened: its folder, its exclusive lock, meta.db (upgraded to the current format when
/// opened for writing), the state open loads from it (the volume-wide rows; every inode, validated,
/// for a repair), the data file and its ExtentCache.
/// Invariant: while an instance lives it holds the volume's lock and every resource below; on
/// <see cref="Dispose"/> it releases them all without committing or writing anything back (the
/// caller commits first; a crash does not).
/// </summary>
internal sealed class OpenedVolume : IDisposable
{
    private OpenedVolume(VolumeLayout layout, VolumeLock volumeLock, MetadataStore meta, VolumeState state, BlockStore store, ExtentCache cache, ILogger logger, string? damage)
    {
        Layout = layout;
        VolumeLock = volumeLock;
        Meta = meta;
        State = state;
        Store = store;
        Cache = cache;
        Logger = logger;
        Damage = damage;
    }

    public VolumeLayout Layout { get; }
    public VolumeLock VolumeLock { get; }
    public MetadataStore Meta { get; }
    public VolumeState State { get; }
    public BlockStore Store { get; }
    public ExtentCache Cache { get; }
    public ILogger Logger { get; }

    /// <summary>What open found wrong with the metadata (one line: the count and the first problem), or null.</summary>
    public string? Damage { get; }

    /// <summary>Opens a volume, taking its exclusive lock. Throws <see cref="VolumeException"/> with a one-line reason; on any failure nothing stays open.</summary>
    public static OpenedVolume Open(string folder, OpenOptions options)
    {
        var layout = new VolumeLayout(folder);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("WinReflink.Volume");
        if (!Directory.Exists(layout.Folder))
        {
            throw new VolumeException($"volume {layout.Folder} does not exist (create it with `winreflink format {folder}`)");
        }
        if (!File.Exists(layout.MetaDb))
        {
            throw new VolumeException($"{layout.Folder} is not a WinReflink volume: its meta.db is missing");
        }
        var volumeLock = VolumeLock.Acquire(layout);
        MetadataStore? meta = null;
        InodeLoader? loader = null;
        SharedRangeLoader? sharedRows = null;
        BlockStore? store = null;
        try
        {
            meta = MetadataStore.Open(layout.MetaDb, options.ReadOnly);
            var settings = meta.LoadSettings(layout.MetaDb);
            VolumeFormatter.CheckSettings(layout, settings);
            if (settings.FormatVersion < VolumeSettings.CurrentFormatVersion && !options.ReadOnly)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                int oldVersion = settings.FormatVersion;
                meta.Upgrade(settings);
                settings = meta.LoadSettings(layout.MetaDb);
                logger.LogInformation("Upgraded volume {Volume} from format version {Old} to {New} in {Ms} ms",
                    layout.Folder, oldVersion, settings.FormatVersion, watch.ElapsedMilliseconds);
            }
            var opening = System.Diagnostics.Stopwatch.StartNew();
            // A repair works on every inode at once; anything else loads inodes when it first touches them (issue 11).
            loader = options.Repairing ? null : OpenLoader(layout.MetaDb, settings);
            sharedRows = options.Repairing ? null : OpenSharedRows(layout.MetaDb, settings);
            var state = meta.LoadState(settings, layout.MetaDb, loader, sharedRows, SharedRangeBudget(options));
            // Whole-volume validation belongs to `check`; a repair needs its findings now. Otherwise open
            // reports what it found in the rows it read.
            var checker = new VolumeChecker(state, settings.BlockSize, read: null);
            var damage = options.Repairing ? checker.Run() : checker.RunOnLoadedRows();
            logger.LogInformation("Volume {Volume}: {Inodes} inodes, {Resident} loaded at open, in {Ms} ms",
                layout.Folder, settings.FileCount + settings.DirectoryCount, state.Inodes.Count, opening.ElapsedMilliseconds);
            store = options.BlockStoreFactory?.Invoke(settings) ?? OpenDataFile(layout, settings, logger);
            long cacheSize = options.CacheSizeBytes ?? Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);
            // A volume that takes no changes (read-only, or damaged and so opened read-only) has nothing to write back.
            bool background = options.BackgroundWriteBack && !options.ReadOnly && damage.Count == 0;
            // Without copy recognition nothing looks blocks up by content, so nothing is hashed.
            var cache = new ExtentCache(store, cacheSize, options.DirtyLimitBytes ?? (256L << 20), logger, background,
                contentIndex: options.CopyRecognition ?? settings.CopyRecognition);
            return new OpenedVolume(layout, volumeLock, meta, state, store, cache, logger, DamageSummary(damage));
        }
        catch
        {
            store?.Dispose();
            loader?.Dispose();
            sharedRows?.Dispose();
            meta?.Dispose();
            volumeLock.Dispose();
            throw;
        }
    }

    private static InodeLoader OpenLoader(string metaDb, VolumeSettings settings)
    {
        try
        {
            return new InodeLoader(metaDb, settings.FormatVersion);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new VolumeException($"{metaDb} is corrupt: its queries cannot be prepared ({MetadataStore.OneLine(e.Message)})", e);
        }
    }

    private static SharedRangeLoader OpenSharedRows(string metaDb, VolumeSettings settings)
    {
        try
        {
            return new SharedRangeLoader(metaDb, verify: settings.FormatVersion >= 2);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new VolumeException($"{metaDb} is corrupt: its queries cannot be prepared ({MetadataStore.OneLine(e.Message)})", e);
        }
    }

    /// <summary>
    /// The shared ranges' resident rows and segments: a quarter of the metadata budget beside the
    /// inodes' (about 260,000 at the default 64 MiB: 16 MiB), so a volume with a million shared ranges
    /// keeps the part in use; a tiny budget keeps only what changed and what the call in progress uses.
    /// </summary>
    private static long SharedRangeBudget(OpenOptions options) =>
        (options.MetadataCacheBytes ?? FileSystem.DefaultMetadataCacheBytes) / 4 / Extents.RefcountTable.EntryBytes;

    public static string? DamageSummary(IReadOnlyList<Violation> found) => found.Count switch
    {
        0 => null,
        1 => found[0].ToString(),
        _ => $"{found.Count} problems, the first: {found[0]}",
    };

    private static FileBlockStore OpenDataFile(VolumeLayout layout, VolumeSettings settings, ILogger logger)
    {
        if (!File.Exists(layout.DataImage))
        {
            throw new VolumeException($"{layout.DataImage} is missing: the volume has lost its data file");
        }
        long expected = settings.CapacityBlocks * settings.BlockSize;
        long actual = new FileInfo(layout.DataImage).Length;
        if (actual < expected)
        {
            throw new VolumeException($"{layout.DataImage} is {actual} bytes but the volume holds {expected}: the data file is truncated");
        }
        return new FileBlockStore(layout.DataImage, settings.BlockSize, settings.CapacityBlocks, logger);
    }

    /// <summary>Releases everything without writing: dirty cached blocks are dropped, the lock is let go.</summary>
    public void Dispose()
    {
        try
        {
            Cache.Dispose();
            Store.Dispose();
            State.Loader?.Dispose();
            State.SharedRows?.Dispose();
            Meta.Dispose();
        }
        finally
        {
            VolumeLock.Dispose();
        }
    }
}
