using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core.Cache;
using WinReflink.Core.Check;
using WinReflink.Core.Control;
using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;
using WinReflink.Core.Reflink;
using WinReflink.Core.Space;
using WinReflink.Core.Storage;
using WinReflink.Core.Transactions;
using WinReflink.Core.Volume;

namespace WinReflink.Core;

/// <summary>
/// The one filesystem API both hosts translate to: inodes and open handles, Windows and POSIX
/// semantics, errors as <see cref="FsError"/> values. Every call runs under the volume lock, so the
/// in-memory state, the ExtentCache and the running transaction change together.
/// </summary>
public sealed partial class FileSystem : IDisposable
{
    public const long RootIno = 1;
    /// <summary>The largest file size (1 PiB); writes, truncates and clones past it fail with FileTooLarge.</summary>
    public const long MaxFileSize = 1L << 50;

    private readonly Lock _lock = new();
    private readonly VolumeLayout _layout;
    private readonly VolumeLock? _volumeLock;
    private readonly MetadataStore _meta;
    private readonly BlockStore _store;
    private readonly ExtentCache _cache;
    private readonly VolumeState _state;
    private readonly ILogger _logger;
    private readonly int _blockSize;
    private readonly VolumeAccess _access;
    private readonly VolumeHealth _health;
    private readonly Transaction _transaction;
    private readonly BlockSpace _space;
    private readonly DataPath _data;
    private readonly RangeCloner _cloner;
    private readonly InodeTable _inodes;
    private readonly DirectoryTree _tree;
    private readonly ControlService _control = new();
    private bool _disposed;

    private FileSystem(VolumeLayout layout, VolumeLock? volumeLock, MetadataStore meta, VolumeState state, BlockStore store, OpenOptions options, ILogger logger, string? damage)
    {
        Damage = damage;
        _layout = layout;
        _volumeLock = volumeLock;
        _meta = meta;
        _state = state;
        _store = store;
        _logger = logger;
        _blockSize = state.Settings.BlockSize;
        _access = new VolumeAccess(options.ReadOnly, damage != null);
        _health = new VolumeHealth(logger, layout.Folder);
        long cacheSize = options.CacheSizeBytes ?? Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);
        _cache = new ExtentCache(store, cacheSize, options.DirtyLimitBytes ?? (256L << 20), logger);
        _transaction = new Transaction(state, meta, store, _cache, _access, _health);
        _space = new BlockSpace(state.Allocator, state.Refcounts, _transaction, _health, () => IsReadOnly);
        _data = new DataPath(_cache, _space, _transaction, _blockSize);
        _cloner = new RangeCloner(_data, _space, _transaction, _blockSize);
        _inodes = new InodeTable(state, _transaction, _data, _blockSize);
        _tree = new DirectoryTree(_inodes, _transaction, state.Settings.Folding);
        if (!_access.ReadOnly && options.CommitInterval > TimeSpan.Zero)
        {
            _transaction.StartGroupCommit(options.CommitInterval, _lock);
        }
    }

    public string VolumePath => _layout.Folder;
    public int BlockSize => _blockSize;
    public bool CaseSensitive => _state.Settings.CaseSensitive;
    /// <summary>How this volume turns names into lookup keys (stored in the volume; hosts that order or compare names use it).</summary>
    public CaseFolding Folding => _state.Settings.Folding;

    /// <summary>What open found wrong with the metadata (one line: the count and the first problem), or null; a damaged volume is opened read-only.</summary>
    public string? Damage { get; }

    /// <summary>Creates a new volume folder. Throws <see cref="VolumeException"/> with a one-line reason on bad input.</summary>
    public static void Format(string folder, FormatOptions options)
    {
        VolumeFormatter.Format(new VolumeLayout(folder), options);
    }

    /// <summary>Opens a volume, taking its exclusive lock. Throws <see cref="VolumeException"/> with a one-line reason.</summary>
    public static FileSystem Open(string folder, OpenOptions? options = null)
    {
        options ??= new OpenOptions();
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
            var state = meta.LoadState(settings, layout.MetaDb);
            long loadMs = opening.ElapsedMilliseconds;
            var damage = new VolumeChecker(state, settings.BlockSize, read: null).Run();
            // What open-time validation costs, for the volume sizes it must stay bounded on (issue 11).
            logger.LogInformation("Volume {Volume}: {Inodes} inodes loaded in {LoadMs} ms, validated in {ValidateMs} ms",
                layout.Folder, state.Inodes.Count, loadMs, opening.ElapsedMilliseconds - loadMs);
            store = options.BlockStoreFactory?.Invoke(settings) ?? OpenDataFile(layout, settings, logger);
            var fs = new FileSystem(layout, volumeLock, meta, state, store, options, logger, DamageSummary(damage));
            if (fs.Damage != null && !options.ReadOnly && !options.Repairing)
            {
                logger.LogError("Volume {Volume} is damaged ({Damage}); opened read-only. `winreflink check` lists every problem; `winreflink check --repair` fixes what it can",
                    layout.Folder, fs.Damage);
            }
            fs.ReclaimOrphans();
            return fs;
        }
        catch
        {
            store?.Dispose();
            meta?.Dispose();
            volumeLock.Dispose();
            throw;
        }
    }

    /// <summary>Reclaims inodes that were unlinked while open when the volume last went down.</summary>
    private void ReclaimOrphans()
    {
        lock (_lock)
        {
            if (IsReadOnly || !_inodes.HasOrphans)
            {
                return;
            }
            _inodes.ReclaimOrphans();
            _transaction.CommitUnguarded();
        }
    }

    private static string? DamageSummary(IReadOnlyList<Violation> found) => found.Count switch
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

    /// <summary>The clock of every timestamp: 100 ns ticks since the Unix epoch.</summary>
    internal static long Now() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks;

    private FsError CheckWritable() => IsReadOnly ? FsError.ReadOnly : FsError.Ok;

    private void Changed(Inode inode) => _transaction.Changed(inode);

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _transaction.StopGroupCommit();
        }
        _transaction.Dispose();
        lock (_lock)
        {
            try
            {
                _transaction.Commit();
                if (_health.Failed)
                {
                    _logger.LogError("Volume {Volume} closed after a failure ({Cause}): it holds its last successful commit", _layout.Folder, _health.Failure);
                }
            }
            finally
            {
                _cache.Dispose();
                _store.Dispose();
                _meta.Dispose();
                _volumeLock?.Dispose();
            }
        }
    }

    /// <summary>
    /// Drops the volume as a power cut would: nothing is committed or flushed, the lock is released.
    /// Tests reopen the volume afterwards and expect the last commit.
    /// </summary>
    internal void SimulateCrash()
    {
        lock (_lock)
        {
            _disposed = true;
            _transaction.StopGroupCommit();
        }
        _transaction.Dispose();
        lock (_lock)
        {
            _cache.Dispose();
            _store.Dispose();
            _meta.Dispose();
            _volumeLock?.Dispose();
        }
    }
}
