using WinReflink.Core.Check;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Reads inodes and what belongs to them (extended attributes, chattr flags) from meta.db the first
/// time the engine touches them (issue 11), a file's extent map the first time its data is touched
/// (<see cref="IStoredExtents"/>: the inode row keeps its block count, format version 6; before it the
/// map loads with the inode, which counts it), and directory entries one name or one page of a
/// listing at a time (<see cref="IStoredDirents"/>), through prepared statements on a read-only
/// connection of its own (<see cref="ReadConnection"/>: no SQLite mutex): one inode at a time, or a
/// listing's page of them at once (<see cref="LoadMany"/>), so a READDIRPLUS or a WinFsp ReadDirectory
/// costs a few queries per page rather than a few per entry. A load is at most three queries in one
/// read transaction: the inodes, the extents when a regular file is among them (before format version
/// 6 only), and the extended attributes and flags together (most inodes have neither).
/// The commit writes through the store's connection meanwhile; in WAL mode this one reads the last
/// durable commit. That is an inode's true state as long as the caller keeps every inode changed since
/// that commit resident (<see cref="VolumeState"/>). Each row is verified as the full load verifies it;
/// a row that fails is corruption, thrown as <see cref="CorruptionException"/> for the caller to stop
/// the volume. Thread-safe: loads take turns on the one connection.
/// </summary>
internal sealed class InodeLoader : IStoredDirents, IStoredExtents, IDisposable
{
    /// <summary>Inodes one batch query asks for; a shorter batch repeats its first number (SQLite reads each distinct one once).</summary>
    public const int BatchSize = 64;

    private readonly ReadConnection _db;
    private readonly Lock _gate = new();
    private readonly RowChecksums _checksums = new();
    private readonly bool _verify;
    /// <summary>Whether inode rows keep their mapped block count (format version 6); without it, a map's is counted as it loads.</summary>
    private readonly bool _storedBlocks;
    private readonly InodeQueries _one;
    private readonly InodeQueries _batch;
    /// <summary>One entry by (parent, key): the dirents primary key.</summary>
    private readonly RowReader _direntByKey;
    /// <summary>A page of a directory's entries in cookie order: the dirents_by_cookie index.</summary>
    private readonly RowReader _direntsAfter;
    /// <summary>Whether the dirents rows hold the entry's type (format version 6 on); without it entries read as <see cref="EntryType.Unknown"/>.</summary>
    private readonly bool _typedDirents;
    private readonly List<string> _badRows = new();
    private long _mapsLoaded;

    /// <param name="formatVersion">The volume's: which columns its rows have (checksums from 2, block counts and entry types from 6).</param>
    public InodeLoader(string metaDb, int formatVersion)
    {
        _verify = formatVersion >= 2;
        _storedBlocks = formatVersion >= VolumeSettings.StoredBlocksFormatVersion;
        _typedDirents = formatVersion >= VolumeSettings.DirentTypesFormatVersion;
        _db = new ReadConnection(metaDb);
        try
        {
            bool flags;
            using (var probe = _db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inode_flags'"))
            {
                flags = probe.Read();
            }
            _one = new InodeQueries(this, "= ?1", flags);
            _batch = new InodeQueries(this, "IN (" + string.Join(", ", Enumerable.Range(1, BatchSize).Select(i => "?" + i)) + ")", flags);
            string dirents = StoredRows.DirentColumns(_typedDirents);
            _direntByKey = Prepare($"SELECT {dirents} FROM dirents WHERE parent = ?1 AND key = ?2");
            _direntsAfter = Prepare($"SELECT {dirents} FROM dirents WHERE parent = ?1 AND cookie > ?2 ORDER BY cookie LIMIT ?3");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Told the extents each map read on its own brought into memory (the metadata budget charges them); set once, before the first load.</summary>
    public Action<int>? ExtentsLoaded { get; set; }

    /// <summary>Extent maps read on their own (<see cref="Read"/>) since open; for tests.</summary>
    public long MapsLoaded => Interlocked.Read(ref _mapsLoaded);

    private RowReader Prepare(string select) => _db.Prepare(StoredRows.WithChecksum(select, _verify));

    /// <summary>The stored inode, whole but for a directory's entries (read when needed: <see cref="IStoredDirents"/>); null when no row has that number. Throws <see cref="CorruptionException"/> when a row of it is damaged.</summary>
    public Inode? Load(long ino)
    {
        lock (_gate)
        {
            var found = Guarded(ino, () => _one.Read([ino]));
            return found.Count > 0 ? found[0] : null;
        }
    }

    /// <summary>The stored inodes among <paramref name="inos"/> (at most <see cref="BatchSize"/>), as <see cref="Load"/> reads each.</summary>
    public List<Inode> LoadMany(ReadOnlySpan<long> inos)
    {
        if (inos.Length is 0 or > BatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(inos), inos.Length, $"a batch is 1 to {BatchSize} inodes");
        }
        long[] batch = inos.ToArray();
        lock (_gate)
        {
            return Guarded(batch[0], () => _batch.Read(batch));
        }
    }

    /// <summary>One file's map, at its first use: one range query on the extents' key (ino, logical).</summary>
    public void Read(long ino, Action<long, ExtentValue> row)
    {
        int rows;
        lock (_gate)
        {
            rows = Guarded(ino, () => _one.ReadExtents(ino, row));
        }
        Interlocked.Increment(ref _mapsLoaded);
        ExtentsLoaded?.Invoke(rows);
    }

    public DirectoryRecord? Find(long dir, string key)
    {
        lock (_gate)
        {
            return Guarded(dir, () =>
            {
                _direntByKey.Reset();
                _direntByKey.Bind(1, dir);
                _direntByKey.Bind(2, key);
                return Next(_direntByKey, "dirents") ? StoredRows.Dirent(_direntByKey, _typedDirents) : null;
            });
        }
    }

    public List<DirectoryRecord> After(long dir, long cookie, int limit)
    {
        lock (_gate)
        {
            return Guarded(dir, () =>
            {
                var records = new List<DirectoryRecord>(Math.Min(limit, 256));
                for (bool row = Run(_direntsAfter, [dir, cookie, limit], "dirents"); row; row = Next(_direntsAfter, "dirents"))
                {
                    records.Add(StoredRows.Dirent(_direntsAfter, _typedDirents));
                }
                return records;
            });
        }
    }

    /// <summary>Runs a read in one read transaction (<see cref="ReadConnection.Read"/>); on return (or throw) every query is reset.</summary>
    private T Guarded<T>(long ino, Func<T> read) => _db.Read(read, ResetQueries, ino, -1);

    private void ResetQueries()
    {
        _badRows.Clear();
        _one.Reset();
        _batch.Reset();
        _direntByKey.Reset();
        _direntsAfter.Reset();
    }

    /// <summary>Runs the prepared query for <paramref name="inos"/> (its parameters in order, the first repeated into the rest); true on its first row, verified against <paramref name="table"/> (null: no checksum).</summary>
    private bool Run(RowReader query, long[] inos, string? table)
    {
        query.Reset();
        int parameters = query.ParameterCount;
        for (int i = 0; i < parameters; i++)
        {
            query.Bind(i + 1, i < inos.Length ? inos[i] : inos[0]);
        }
        return Next(query, table);
    }

    /// <summary>Steps to the query's next row; a row of <paramref name="table"/> is verified against the checksum in its last column.</summary>
    private bool Next(RowReader query, string? table)
    {
        if (!query.Read())
        {
            return false;
        }
        if (table != null)
        {
            Verify(query, table, query.FieldCount - 1);
        }
        return true;
    }

    /// <summary>Throws <see cref="CorruptionException"/> unless column <paramref name="columns"/> of the current row holds the checksum of the columns before it.</summary>
    private void Verify(RowReader query, string table, int columns)
    {
        if (_verify && _checksums.Mismatch(table, query, columns) is { } damaged)
        {
            throw new CorruptionException($"row does not match its checksum: {damaged}", query.GetInt64(0), -1);
        }
    }

    public void Dispose()
    {
        _one?.Dispose();
        _batch?.Dispose();
        _direntByKey?.Dispose();
        _direntsAfter?.Dispose();
        _db?.Dispose();
    }

    /// <summary>The statements that read inodes whose number matches one condition (one number, or a batch of them).</summary>
    private sealed class InodeQueries : IDisposable
    {
        /// <summary>Where the extras query says which table a row is from (the columns before it are the xattrs row and its checksum).</summary>
        private const int ExtraKind = 4;
        private const int XattrColumns = 3;

        private readonly InodeLoader _loader;
        private readonly RowReader _inodes;
        private readonly RowReader _extents;
        /// <summary>Extended attributes (kind 0) and chattr flags (kind 1, the flags in column 1) in one query, as most inodes have neither.</summary>
        private readonly RowReader _extras;
        /// <summary>Adds a field the check's rules refuse to the loader's bad rows (one delegate, not one per row).</summary>
        private readonly InodeRules.Report _badField;

        /// <param name="flags">Whether the volume has the flags table (one opened read-only from before it has no flags).</param>
        public InodeQueries(InodeLoader loader, string condition, bool flags)
        {
            _loader = loader;
            _inodes = loader.Prepare($"SELECT {StoredRows.InodeColumns(loader._storedBlocks)} FROM inodes WHERE ino {condition}");
            _extents = loader.Prepare($"SELECT {StoredRows.ExtentColumns} FROM extents WHERE ino {condition} ORDER BY ino, logical");
            string crc = loader._verify ? "crc" : "NULL";
            string extras = $"SELECT {StoredRows.XattrColumns}, {crc}, 0 FROM xattrs WHERE ino {condition}";
            if (flags)
            {
                extras += $" UNION ALL SELECT ino, flags, NULL, NULL, 1 FROM inode_flags WHERE ino {condition}";
            }
            _extras = loader._db.Prepare(extras);
            _badField = (_, what, ino, _, expected, found) => _loader._badRows.Add($"inodes row (ino {ino}): {what}: expected {expected}, found {found}");
        }

        public List<Inode> Read(long[] inos)
        {
            var found = new Dictionary<long, Inode>(inos.Length);
            bool files = false;
            for (bool row = _loader.Run(_inodes, inos, "inodes"); row; row = _loader.Next(_inodes, "inodes"))
            {
                var inode = StoredRows.Inode(_inodes, _loader._badRows, _loader._storedBlocks);
                // What `check` holds each inode row to, cheap enough for every load: a row with a sound
                // checksum and an impossible type or size (written so by a bug, or resealed) must not be
                // acted on, as the orphan reclaim at open would, destroying it unreported.
                InodeRules.CheckFields(inode.Ino, inode.Mode, inode.Size, _badField);
                if (_loader._badRows.Count > 0)
                {
                    throw new CorruptionException($"row with a value out of range: {_loader._badRows[0]}", inode.Ino, -1);
                }
                found[inode.Ino] = inode;
                files |= inode.Extents != null;
            }
            if (found.Count == 0)
            {
                return [];
            }
            // Extents of an inode that is not a regular file belong to nothing; `check` reports them.
            if (files && !_loader._storedBlocks)
            {
                for (bool row = _loader.Run(_extents, inos, "extents"); row; row = _loader.Next(_extents, "extents"))
                {
                    if (found.TryGetValue(_extents.GetInt64(0), out var file) && file.Extents != null)
                    {
                        file.Extents.Load(_extents.GetInt64(1), StoredRows.Extent(_extents));
                    }
                }
            }
            foreach (var inode in found.Values)
            {
                if (inode.Extents is { } map)
                {
                    // From version 6 the map loads at its first use; before it, it loaded here and is counted.
                    if (!_loader._storedBlocks)
                    {
                        map.Recount();
                    }
                    map.Attach(_loader, inode.Ino, loaded: !_loader._storedBlocks);
                }
            }
            for (bool row = _loader.Run(_extras, inos, null); row; row = _loader.Next(_extras, null))
            {
                if (!found.TryGetValue(_extras.GetInt64(0), out var inode))
                {
                    continue;
                }
                if (_extras.GetInt64(ExtraKind) == 0)
                {
                    _loader.Verify(_extras, "xattrs", XattrColumns);
                    StoredRows.Xattr(_extras, inode);
                }
                else
                {
                    inode.Flags = (InodeFlags)_extras.GetInt64(1);
                }
            }
            return [.. found.Values];
        }

        /// <summary>Gives the extents of one inode to <paramref name="row"/> in logical order (a query for one inode); returns how many.</summary>
        public int ReadExtents(long ino, Action<long, ExtentValue> row)
        {
            int rows = 0;
            for (bool found = _loader.Run(_extents, [ino], "extents"); found; found = _loader.Next(_extents, "extents"))
            {
                row(_extents.GetInt64(1), StoredRows.Extent(_extents));
                rows++;
            }
            return rows;
        }

        public void Reset()
        {
            _inodes.Reset();
            _extents.Reset();
            _extras.Reset();
        }

        public void Dispose()
        {
            _inodes?.Dispose();
            _extents?.Dispose();
            _extras?.Dispose();
        }
    }
}
