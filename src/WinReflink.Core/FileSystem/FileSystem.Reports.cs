using Microsoft.Extensions.Logging;
using WinReflink.Core.Cache;
using WinReflink.Core.Check;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public VolumeStatistics StatFs()
    {
        using (_locks.Shared())
        {
            var s = _state.Settings;
            return new VolumeStatistics(_blockSize, s.CapacityBlocks, _space.AvailableBlocks,
                _inodes.Count, long.MaxValue / 2 - _inodes.Count, NameRules.MaxNameLength, s.SerialNumber, s.Label, s.CaseSensitive);
        }
    }

    public VolumeInfo Info()
    {
        using (_locks.Exclusive())
        {
            var s = _state.Settings;
            long free = (_space.AvailableBlocks) * _blockSize;
            long capacity = s.CapacityBlocks * _blockSize;
            var (shared, saved) = _space.SharingTotals();
            // The stored extent count is as of the last capture; the running transaction's maps add what they changed since.
            long extents = s.ExtentCount + _transaction.Changes.ChangedInodes.Sum(i => (long)(i.Extents?.PendingCountChange ?? 0));
            return new VolumeInfo(capacity, capacity - free, free, shared * _blockSize, saved * _blockSize, s.FileCount, s.DirectoryCount, extents,
                _blockSize, s.CaseSensitive, s.Label, s.SerialNumber, s.FormatVersion);
        }
    }

    public CacheStatistics CacheStatistics()
    {
        using (_locks.Exclusive())
        {
            var stats = _cache.Statistics();
            long recognized = _data.RecognizedBlocks;
            return stats with { RecognizedBlocks = recognized, RecognizedBytes = recognized * _blockSize };
        }
    }

    /// <summary>The metadata cache: inodes in memory against the budget (<see cref="OpenOptions.MetadataCacheBytes"/>).</summary>
    public MetadataStatistics MetadataStatistics() => _eviction.Statistics();

    /// <summary>For tests: checks the cache's content index against the cached windows (ExtentCache.CheckContentIndex); throws when one is broken.</summary>
    internal void CheckContentIndex() => _cache.CheckContentIndex();

    /// <summary>Bytes written to the data file since open (for write-amplification figures).</summary>
    public long DataBytesWritten => _volume.Store.BytesWritten;

    /// <summary>The file's extents in bytes, split where the share count changes.</summary>
    public FsError GetExtents(long ino, out IReadOnlyList<FileExtent> extents)
    {
        extents = Array.Empty<FileExtent>();
        using (_locks.Inode(ino, write: false))
        {
            var e = _inodes.TryGetRegular(ino, out var file);
            if (e != FsError.Ok)
            {
                return e;
            }
            var list = new List<FileExtent>();
            try
            {
                foreach (var ext in file.Extents!.All())
                {
                    long done = 0;
                    while (done < ext.Length)
                    {
                        var (refs, run) = _space.ShareCount(ext.Physical + done, ext.Length - done);
                        list.Add(new FileExtent((ext.Logical + done) * _blockSize, (ext.Physical + done) * _blockSize, run * _blockSize, refs, ext.Unwritten));
                        done += run;
                    }
                }
            }
            catch (CorruptionException c)
            {
                // A damaged shared row, read as the share counts page in, stops the volume as a damaged inode does.
                return _health.Corrupt(c.What, c.Ino, c.Block);
            }
            extents = list;
            return FsError.Ok;
        }
    }

    /// <summary>
    /// Verifies every invariant of the design notes on the volume as it stands. With nothing uncommitted,
    /// meta.db is the volume and is checked as stored, in bounded memory (<see cref="StoredVolumeChecker"/>,
    /// reporting progress); otherwise every stored row is loaded and overlaid with what the running
    /// transaction changed (<see cref="Metadata.VolumeState.Overlay"/>). Violations found make the
    /// volume read-only, so nothing is written on top of them before `check --repair`.
    /// </summary>
    /// <param name="progress">Called with (rows verified, rows to verify) as a stored check goes, once the rows are counted.</param>
    public IReadOnlyList<Violation> Check(Action<long, long>? progress = null) =>
        Check(progress == null ? null : (CheckProgress p) =>
        {
            if (p.Total > 0)
            {
                progress(p.Done, p.Total);
            }
        });

    /// <summary>The same, reporting the stored check's phases and their progress (<see cref="CheckProgress"/>).</summary>
    public IReadOnlyList<Violation> Check(Action<CheckProgress>? progress)
    {
        using (_locks.Exclusive())
        {
            var found = new List<Violation>();
            // The loads read meta.db, through the connection a commit's write uses for the full load.
            _transaction.WaitForWrite();
            try
            {
                if (_state.Loader != null && !_transaction.HasChanges && _cache.DirtyBytes == 0)
                {
                    found.AddRange(StoredVolumeChecker.Run(_volume.Layout.MetaDb, _state.Settings, ReadForCheck, progress));
                }
                else
                {
                    // The loaded check sees the tables' rows; the indexes beside them only SQLite can check.
                    if (_volume.Meta.IntegrityProblem() is { } problem)
                    {
                        found.Add(Metadata.SqliteIntegrity.Violation(problem));
                    }
                    found.AddRange(new VolumeChecker(_state.Loader == null ? _state : StoredOverlaidWithLive(), _blockSize, ReadForCheck).Run());
                }
            }
            catch (Volume.VolumeException e)
            {
                found.Add(new Violation(9, e.Message, null, null, "rows SQLite can read", "unreadable"));
            }
            if (found.Count > 0)
            {
                // What the calls before did is committed first: once read-only, the volume could neither
                // commit it nor truthfully answer an fsync of it.
                if (!IsReadOnly)
                {
                    _transaction.CommitLocked();
                }
                Damaged(found);
            }
            return found;
        }
    }

    /// <summary>
    /// Every stored row, loaded whole, overlaid with the live state. The settings are read again for
    /// their rows' checksums, but the live ones, committed or not, are what is checked.
    /// </summary>
    private Metadata.VolumeState StoredOverlaidWithLive()
    {
        string metaDb = _volume.Layout.MetaDb;
        _volume.Meta.LoadSettings(metaDb);
        return Metadata.VolumeState.Overlay(_volume.Meta.LoadState(_state.Settings, metaDb, loader: null), _state);
    }

    /// <summary>Damage found (by `check` or open's reclaim): the volume takes no more changes, so nothing is written on top of it before `check --repair`. Call with the volume lock held exclusively.</summary>
    private void Damaged(IReadOnlyList<Violation> found)
    {
        if (Damage != null)
        {
            return;
        }
        Damage = Volume.OpenedVolume.DamageSummary(found);
        _access.Damaged();
        _logger.LogError("Volume {Volume} is damaged ({Damage}); it takes no more changes. `winreflink check` lists every problem; `winreflink check --repair` fixes what it can",
            _volume.Layout.Folder, Damage);
    }

    private void ReadForCheck(long physicalBlock, Span<byte> block) => _cache.Read(physicalBlock * _blockSize, block, 0, 0);
}
