using Microsoft.Extensions.Logging;
using WinReflink.Core.Cache;
using WinReflink.Core.Check;
using WinReflink.Core.Control;
using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Locking;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;
using WinReflink.Core.Reflink;
using WinReflink.Core.Space;
using WinReflink.Core.Transactions;
using WinReflink.Core.Volume;

namespace WinReflink.Core;

/// <summary>
/// The one filesystem API both hosts translate to: inodes and open handles, Windows and POSIX
/// semantics, errors as <see cref="FsError"/> values. Every call changes state under the volume lock,
/// so the in-memory state, the ExtentCache and the running transaction change together. Three let go
/// of it midway, at points where the state is whole: a commit while its disk writes and fsyncs run
/// (<see cref="Transaction"/>), a read while it loads missing blocks, and a long clone between steps.
/// </summary>
public sealed partial class FileSystem : IDisposable
{
    public const long RootIno = 1;
    /// <summary>The largest file size (1 PiB); writes, truncates and clones past it fail with FileTooLarge.</summary>
    public const long MaxFileSize = 1L << 50;

    private readonly EngineLocks _locks = new();
    private readonly OpenedVolume _volume;
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
    private readonly InodeEviction _eviction;
    private readonly DirectoryTree _tree;
    private readonly ControlService _control = new();
    private bool _disposed;

    /// <summary>Builds the components over an opened volume; each owns its part of the state (docs/architecture.md).</summary>
    private FileSystem(OpenedVolume volume, OpenOptions options)
    {
        _volume = volume;
        Damage = volume.Damage;
        _state = volume.State;
        _cache = volume.Cache;
        _logger = volume.Logger;
        _blockSize = _state.Settings.BlockSize;
        _access = new VolumeAccess(options.ReadOnly, volume.Damage != null);
        _health = new VolumeHealth(_logger, volume.Layout.Folder, _cache.StopWriteBack);
        var parked = new ParkedReferences();
        // The eviction and the transaction know each other; the pin test runs only after construction.
        _eviction = new InodeEviction(_state, options.MetadataCacheBytes ?? DefaultMetadataCacheBytes, inode => _transaction!.Pins(inode), parked,
            () => ThreadPool.UnsafeQueueUserWorkItem(_ => EvictMetadata(), null));
        _transaction = new Transaction(_state, volume.Meta, volume.Store, _cache, _access, _health, _locks, _eviction.Committed);
        _space = new BlockSpace(_state.Allocator, _state.Refcounts, _transaction, _health, () => IsReadOnly);
        var recognizer = options.CopyRecognition ?? _state.Settings.CopyRecognition
            ? new CopyRecognizer(_cache, _space, _locks, InodeOrNull, _blockSize)
            : null;
        _data = new DataPath(_cache, _space, _transaction, _blockSize, recognizer);
        _cloner = new RangeCloner(_data, _space, _transaction, _blockSize);
        _inodes = new InodeTable(_state, _transaction, _data, _health, _eviction, parked, _blockSize);
        _tree = new DirectoryTree(_inodes, _transaction, _state.Settings.Folding);
        if (!_access.ReadOnly && options.CommitInterval > TimeSpan.Zero)
        {
            _transaction.StartGroupCommit(options.CommitInterval);
        }
    }

    public string VolumePath => _volume.Layout.Folder;
    public int BlockSize => _blockSize;
    public bool CaseSensitive => _state.Settings.CaseSensitive;
    /// <summary>How this volume turns names into lookup keys (stored in the volume; hosts that order or compare names use it).</summary>
    public CaseFolding Folding => _state.Settings.Folding;

    /// <summary>What open (for a repair) or <see cref="Check"/> found wrong with the volume (one line: the count and the first problem), or null; a damaged volume takes no changes.</summary>
    public string? Damage { get; private set; }

    /// <summary>Creates a new volume folder. Throws <see cref="VolumeException"/> with a one-line reason on bad input.</summary>
    public static void Format(string folder, FormatOptions options)
    {
        VolumeFormatter.Format(new VolumeLayout(folder), options);
    }

    /// <summary>Opens a volume, taking its exclusive lock. Throws <see cref="VolumeException"/> with a one-line reason.</summary>
    public static FileSystem Open(string folder, OpenOptions? options = null)
    {
        options ??= new OpenOptions();
        var volume = OpenedVolume.Open(folder, options);
        try
        {
            var fs = new FileSystem(volume, options);
            try
            {
                fs.ReclaimOrphans();
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or CorruptionException)
            {
                // Open reads only what it needs, so the reclaim can be the first to meet damage: a damaged
                // page met by its commit, or a damaged shared row (open reads none) met by its unmapping.
                fs._transaction.Dispose();
                throw new VolumeException($"{volume.Layout.MetaDb} is corrupt: the orphans left by the last session could not be reclaimed ({MetadataStore.OneLine(e.Message)})", e);
            }
            return fs;
        }
        catch
        {
            volume.Dispose();
            throw;
        }
    }

    /// <summary>Reclaims inodes that were unlinked while open when the volume last went down.</summary>
    private void ReclaimOrphans()
    {
        using (_locks.Exclusive())
        {
            if (IsReadOnly || !_inodes.HasOrphans)
            {
                return;
            }
            // Every orphan record is read here anyway: one naming nothing is damage open can see.
            var ofNothing = _inodes.OrphansOfNothing();
            if (ofNothing.Count > 0)
            {
                Damaged(ofNothing.Select(VolumeChecker.OrphanOfNothing).ToList());
                return;
            }
            _inodes.ReclaimOrphans();
            if (IsReadOnly)
            {
                // An orphan's row was damaged: a stopped volume commits nothing, and the orphans stay for the next open.
                return;
            }
            _transaction.CommitUnguarded();
        }
    }

    /// <summary>The clock of every timestamp: 100 ns ticks since the Unix epoch.</summary>
    internal static long Now() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks;

    private FsError CheckWritable() => IsReadOnly ? FsError.ReadOnly : FsError.Ok;

    private void Changed(Inode inode) => _transaction.Changed(inode);

    public void Dispose()
    {
        using (_locks.Exclusive())
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _transaction.Close();
        }
        _transaction.Dispose();
        using (_locks.Exclusive())
        {
            try
            {
                _transaction.CommitLocked();
                if (_health.Failed)
                {
                    _logger.LogError("Volume {Volume} closed after a failure ({Cause}): it holds its last successful commit", _volume.Layout.Folder, _health.Failure);
                }
            }
            finally
            {
                _volume.Dispose();
            }
        }
    }

    /// <summary>The inode, loaded if need be, or null (the copy recognizer's owners, resolved under their locks).</summary>
    private Inode? InodeOrNull(long ino) => _inodes.TryGet(ino, out var inode) == FsError.Ok ? inode : null;

    /// <summary>Memory for inodes loaded on demand when <see cref="OpenOptions.MetadataCacheBytes"/> does not say.</summary>
    public const long DefaultMetadataCacheBytes = 64L << 20;

    /// <summary>
    /// Drops the least recently used clean inodes past the metadata budget (<see cref="InodeEviction"/>),
    /// and the shared table's clean segments past theirs; runs on a pool thread when loads pass the
    /// budget, and tests with a tiny budget call it every step.
    /// </summary>
    /// <returns>How many inodes it dropped.</returns>
    internal int EvictMetadata()
    {
        using (_locks.Exclusive())
        {
            if (_disposed || _state.Loader == null)
            {
                return 0;
            }
            _space.TrimSharedRanges();
            return _eviction.EvictLocked();
        }
    }

    /// <summary>For tests: whether the inode is in memory now (eviction dropped it, or it was never loaded).</summary>
    internal bool IsResident(long ino) => _state.Inodes.ContainsKey(ino);

    /// <summary>For tests: whether <see cref="Dispose"/> has begun (calls from then on answer EIO).</summary>
    internal bool IsClosing => Volatile.Read(ref _disposed);

    /// <summary>For tests: extent maps read from meta.db at their first use since open (not with their inodes).</summary>
    internal long ExtentMapLoads => _state.Loader?.MapsLoaded ?? 0;

    /// <summary>For tests: whether the file's extent map is in memory now; false when the inode is not resident either.</summary>
    internal bool IsExtentMapLoaded(long ino) => _state.Inodes.TryGetValue(ino, out var inode) && inode.Extents is { IsLoaded: true };

    /// <summary>For tests: directory entries the metadata budget dropped from memory since open.</summary>
    internal long EvictedDirectoryEntries => _eviction.DroppedEntries;

    /// <summary>For tests: shared-table segments read from meta.db since open, and dropped.</summary>
    internal (long Loaded, long Evicted) SharedSegmentStatistics => _space.SharedSegmentStatistics;

    /// <summary>For tests: holds <paramref name="ino"/>'s lock exclusively, as a call changing that inode does, until disposed on the same thread.</summary>
    internal EngineLocks.Scope HoldInodeExclusively(long ino) => _locks.Inode(ino, write: true);

    /// <summary>
    /// Drops the volume as a power cut would: nothing more is committed or flushed, the lock is released.
    /// A commit already being written ends first (it may be durable). Tests reopen the volume
    /// afterwards and expect the last durable commit.
    /// </summary>
    internal void SimulateCrash()
    {
        using (_locks.Exclusive())
        {
            _disposed = true;
            _transaction.Close();
        }
        _transaction.Dispose();
        using (_locks.Exclusive())
        {
            _transaction.WaitForWrite();
            _volume.Dispose();
        }
    }
}
