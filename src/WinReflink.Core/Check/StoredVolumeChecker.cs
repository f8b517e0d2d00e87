using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using WinReflink.Core.Metadata;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Check;

/// <summary>
/// Verifies the invariants <see cref="VolumeChecker"/> verifies, with the same violations, over what
/// meta.db holds rather than over a loaded <see cref="VolumeState"/>: each table is read in key order
/// and tables ordered by the same key are merged, so what is held at once does not grow with the
/// volume. Held: one row per cursor; the coverage of physical blocks and the files' partial last
/// blocks to read, each sorted in runs of at most the sort-run size (<see cref="ExternalSort"/>);
/// one read of data.img (256 KiB); SQLite's page cache and sorter, bounded by
/// <see cref="SqliteCacheKiB"/> (its temporary tables and sorts go to files); and the violations found.
/// Time grows with the rows: every pass is a scan or a merge in key order, and the blocks read from
/// data.img (files' partial last blocks) are read in physical order, adjacent ones together.
/// The check goes in phases (<see cref="CheckProgress"/>), each reporting its progress as it goes.
/// Everything is read in one read transaction, so a volume being written is seen as of one commit.
/// The row-level findings of the load (checksums, values out of range, rows of objects that do not
/// exist) are made here too. A security descriptor no inode uses is not a violation: descriptors stay
/// until repair collects them, as NTFS's $Secure keeps them.
/// </summary>
internal sealed partial class StoredVolumeChecker : IDisposable
{
    /// <summary>Coverage pairs sorted in memory before a run is spilled: 16 MiB.</summary>
    public const int DefaultSortRunRows = 1 << 20;

    /// <summary>SQLite's page cache for meta.db and for the temporary tables, each; sorts past it spill to files.</summary>
    public const int SqliteCacheKiB = 8192;

    private const int ProgressStep = 4096;

    /// <summary>SQLite instructions between two calls of its progress handler (a few milliseconds of work).</summary>
    private const int ProgressInstructions = 100_000;

    /// <summary>SQLite instructions per row of meta.db and index entry that integrity_check runs (measured: 19 on a volume of 1,000,000 files).</summary>
    private const int IntegrityInstructionsPerRow = 19;

    /// <summary>SQLite instructions per inode and directory entry that building the directory tables runs (measured: 8 on the same volume).</summary>
    private const int DirectoryTablesInstructionsPerRow = 8;

    private readonly SqliteConnection _db;
    private readonly string _path;
    private readonly VolumeSettings _settings;
    private readonly VolumeChecker.ReadBlock? _read;
    private readonly CheckProgressCounter _progress;
    /// <summary>SQLite's progress handler, held here so it lives as long as the connection calls it.</summary>
    private readonly delegate_progress _instructionsRan;
    /// <summary>Whether the rows carry checksums (format version 2 on).</summary>
    private readonly bool _verify;
    /// <summary>Whether inode rows keep their mapped block count (format version 6 on).</summary>
    private readonly bool _storedBlocks;
    private readonly RowChecksums _checksums = new();
    private readonly List<Violation> _found = new();
    /// <summary>(physical block, +1 or -1) at each end of every mapping the load would keep: the coverage, once sorted.</summary>
    private readonly ExternalSort _coverage;
    /// <summary>Whether the dirents rows keep the entry's type, which is then checked (format version 6 on, as <see cref="VolumeChecker"/> does).</summary>
    private readonly bool _typedDirents;
    /// <summary>Whether inode 1 is a directory; the namespace is checked only then, as <see cref="VolumeChecker"/> does.</summary>
    private bool _rootIsDirectory;
    /// <summary>The next inode number as of the snapshot: the settings given may be older (or newer) than it.</summary>
    private long _nextIno;
    /// <summary>Extent rows of regular files, which the settings' extent count counts.</summary>
    private long _regularExtents;

    private StoredVolumeChecker(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<CheckProgress>? progress, int sortRunRows)
    {
        _path = metaDbPath;
        _settings = settings;
        _read = read;
        _progress = new CheckProgressCounter(progress, ProgressStep);
        _instructionsRan = _ =>
        {
            _progress.Instructions(ProgressInstructions);
            return 0;
        };
        _verify = settings.FormatVersion >= 2;
        _storedBlocks = settings.FormatVersion >= VolumeSettings.StoredBlocksFormatVersion;
        _typedDirents = settings.FormatVersion >= VolumeSettings.DirentTypesFormatVersion;
        _coverage = new ExternalSort(sortRunRows, Path.GetTempPath());
        _tails = new ExternalSort(sortRunRows, Path.GetTempPath());
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
    }

    /// <summary>
    /// Checks the volume whose meta.db is at <paramref name="metaDbPath"/> (committed state only; it
    /// may be open and written by the engine meanwhile). <paramref name="read"/> reads a physical block
    /// for the zero-tail check (null skips it); <paramref name="progress"/> is called as the check goes
    /// (<see cref="CheckProgress"/>), last with the whole total done.
    /// Throws <see cref="VolumeException"/> (one line) when meta.db cannot be read or holds a value of the wrong type.
    /// </summary>
    public static IReadOnlyList<Violation> Run(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<CheckProgress>? progress) =>
        Run(metaDbPath, settings, read, progress, DefaultSortRunRows, out _);

    /// <summary>
    /// The same, with the sort-run size given; <paramref name="peakRowsHeld"/> is the most coverage
    /// pairs, partial last blocks to read and shared rows the check held at once.
    /// </summary>
    public static IReadOnlyList<Violation> Run(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<CheckProgress>? progress,
        int sortRunRows, out long peakRowsHeld)
    {
        using var checker = new StoredVolumeChecker(metaDbPath, settings, read, progress, sortRunRows);
        try
        {
            var found = checker.Check();
            peakRowsHeld = checker._coverage.PeakRowsHeld + checker._tails.PeakRowsHeld + checker._peakSharedRowsHeld;
            return found;
        }
        catch (SqliteException e)
        {
            throw new VolumeException($"{metaDbPath} is corrupt ({MetadataStore.OneLine(e.Message)})", e);
        }
        catch (InvalidCastException e)
        {
            throw new VolumeException($"{metaDbPath} is corrupt (a column holds the wrong type: {MetadataStore.OneLine(e.Message)})", e);
        }
    }

    private List<Violation> Check()
    {
        _db.Open();
        Execute(FormattableString.Invariant($"PRAGMA temp_store = FILE; PRAGMA main.cache_size = -{SqliteCacheKiB}; PRAGMA temp.cache_size = -{SqliteCacheKiB};"));
        // One snapshot for every pass: a commit landing between two of them would look like damage.
        Execute("BEGIN");
        try
        {
            raw.sqlite3_progress_handler(_db.Handle, ProgressInstructions, _instructionsRan, null);
            // Before the total is known: the tables counted of ten, and no share of the whole.
            _progress.Begin("counting rows", 0, 10);
            var rows = CountRows();
            _progress.End();
            long extentEnds = 2 * rows.Extents;
            long byInode = rows.Inodes + rows.Extents + rows.Xattrs + rows.Flags + rows.Orphans + rows.Dirents;
            // Each phase's share of the whole: the rows it reads (SQLite's integrity check reads every row and index entry).
            _progress.Total = rows.All + rows.Dirents + rows.Settings + rows.Security + (rows.Inodes + rows.Dirents) + rows.Dirents + byInode
                + (_read != null ? rows.Inodes : 0) + (rows.Shared + extentEnds) + (rows.Free + extentEnds);

            _progress.Begin("SQLite integrity check", rows.All + rows.Dirents, rows.All + rows.Dirents, IntegrityInstructionsPerRow);
            if (SqliteIntegrity.Problem(_db) is { } problem)
            {
                _found.Add(SqliteIntegrity.Violation(problem));
            }
            _progress.End();

            _progress.Begin("settings and security descriptors", rows.Settings + rows.Security, rows.Settings + rows.Security);
            VerifySettingsRows();
            _nextIno = StoredNextIno() ?? _settings.NextIno;
            _rootIsDirectory = RootIsDirectory();
            if (!_rootIsDirectory)
            {
                Add(3, "the root directory is missing", FileSystem.RootIno, null, "a directory", "nothing");
            }
            VerifySecurityRows();
            _progress.End();

            _progress.Begin("directory tree", rows.Inodes + rows.Dirents, rows.Inodes + rows.Dirents, DirectoryTablesInstructionsPerRow);
            BuildDirectoryTables();
            _progress.End();

            _progress.Begin("directory entries", rows.Dirents, rows.Dirents);
            CheckDirectoryEntries();
            _progress.End();

            _progress.Begin("inodes, extents and names", byInode, byInode);
            CheckInodes();
            _progress.End();

            if (_read != null)
            {
                _progress.Begin("partial last blocks", rows.Inodes, _tails.Count);
                CheckZeroTails(_read);
                _progress.End();
            }

            _progress.Begin("shared ranges", rows.Shared + extentEnds, rows.Shared + _coverage.Count);
            CheckSharedTable();
            _progress.End();

            _progress.Begin("free ranges", rows.Free + extentEnds, rows.Free + _coverage.Count);
            CheckSpace();
            _progress.End();

            if (_ownerless.Count > 0)
            {
                _progress.Begin("owners of damaged blocks", 0, OwnerPasses() * rows.Extents);
                ResolveOwners();
                _progress.End();
            }
        }
        finally
        {
            Execute("ROLLBACK");
            raw.sqlite3_progress_handler(_db.Handle, 0, null, null);
        }
        return _found;
    }

    /// <summary>Rows of each table as of the snapshot.</summary>
    private readonly record struct TableRows(long Settings, long Inodes, long Dirents, long Extents, long Shared, long Free, long Xattrs,
        long Security, long Orphans, long Flags)
    {
        public long All => Settings + Inodes + Dirents + Extents + Shared + Free + Xattrs + Security + Orphans + Flags;
    }

    private TableRows CountRows()
    {
        long Count(string table)
        {
            long count = Scalar($"SELECT count(*) FROM {table}");
            _progress.Item();
            return count;
        }

        return new TableRows(Count("settings"), Count("inodes"), Count("dirents"), Count("extents"), Count("shared"), Count("free"), Count("xattrs"),
            Count("security"), Count("orphans"), HasFlagsTable() ? Count("inode_flags") : 0);
    }

    private bool HasFlagsTable() => Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'inode_flags'") > 0;

    private void RowRead() => _progress.Item();

    private void VerifySettingsRows()
    {
        using var rows = Open(Select("settings", "key, value"));
        for (; rows.HasRow; rows.Next())
        {
            Verify(rows.Row, "settings", 2);
        }
    }

    private long? StoredNextIno() => StoredSetting("next_ino");

    /// <summary>A numeric setting as this snapshot stores it; null when absent or not a number.</summary>
    private long? StoredSetting(string key)
    {
        using var row = RowReader.Open(_db, $"SELECT value FROM settings WHERE key = '{key}'");
        return row.Read() && row.GetValue(0) is string text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long next)
            ? next
            : null;
    }

    private bool RootIsDirectory()
    {
        using var root = RowReader.Open(_db, "SELECT mode FROM inodes WHERE ino = 1");
        return root.Read() && root.GetValue(0) is long mode && PosixMode.IsDirectory((uint)mode);
    }

    private void VerifySecurityRows()
    {
        using var rows = Open(Select("security", "id, descriptor"));
        for (; rows.HasRow; rows.Next())
        {
            Verify(rows.Row, "security", 2);
            rows.Row.GetInt64(0);
            rows.Row.GetBlob(1);
        }
    }

    /// <summary>A query of a table's columns, with the row checksum after them when the volume has checksums, then <paramref name="more"/>.</summary>
    private string Select(string table, string columns, string more = "", string tail = "") =>
        $"SELECT {columns}{(_verify ? ", crc" : "")}{more} FROM {table}{tail}";

    /// <summary>The column after the table's own and its checksum.</summary>
    private int ExtraColumn(int columns) => _verify ? columns + 1 : columns;

    private RowCursor Open(string sql) => RowCursor.Open(_db, sql, RowRead);

    /// <summary>Records a checksum failure when the row's values (its first <paramref name="columns"/>) do not give its stored checksum.</summary>
    private void Verify(RowReader row, string table, int columns)
    {
        if (_verify && _checksums.Mismatch(table, row, columns) is { } damaged)
        {
            Add(9, $"row does not match its checksum: {damaged}", null, null, "the checksum of the row's values", "another");
        }
    }

    private void BadRow(string row) => Add(9, $"row with a value out of range: {row}", null, null, "a value the column can hold", "out of range");

    private void Dangling(string row) => Add(3, $"row of an object that does not exist: {row}", null, null, "no such row", "row present");

    private void Add(int invariant, string what, long? ino, long? block, string expected, string found) =>
        _found.Add(new Violation(invariant, what, ino, block, expected, found));

    private void Execute(string sql)
    {
        int rc = raw.sqlite3_exec(_db.Handle, sql);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db.Handle);
        }
    }

    private long Scalar(string sql)
    {
        using var r = RowReader.Open(_db, sql);
        return r.Read() ? r.GetInt64(0) : 0;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _coverage.Dispose();
        _tails.Dispose();
        _db.Dispose();
    }
}
