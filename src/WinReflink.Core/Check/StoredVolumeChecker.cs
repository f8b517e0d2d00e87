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
/// volume. Held: one row per cursor; the coverage of physical blocks, sorted in runs of at most the
/// sort-run size (<see cref="ExternalSort"/>); SQLite's page cache and sorter, bounded by
/// <see cref="SqliteCacheKiB"/> (its temporary tables and sorts go to files); and the violations found.
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

    private readonly SqliteConnection _db;
    private readonly string _path;
    private readonly VolumeSettings _settings;
    private readonly VolumeChecker.ReadBlock? _read;
    private readonly Action<long, long>? _progress;
    /// <summary>Whether the rows carry checksums (format version 2 on).</summary>
    private readonly bool _verify;
    private readonly RowChecksums _checksums = new();
    private readonly List<Violation> _found = new();
    /// <summary>(physical block, +1 or -1) at each end of every mapping the load would keep: the coverage, once sorted.</summary>
    private readonly ExternalSort _coverage;
    private long _done;
    private long _total;
    /// <summary>Whether inode 1 is a directory; the namespace is checked only then, as <see cref="VolumeChecker"/> does.</summary>
    private bool _rootIsDirectory;
    /// <summary>The next inode number as of the snapshot: the settings given may be older (or newer) than it.</summary>
    private long _nextIno;
    /// <summary>Extent rows of regular files, which the settings' extent count counts.</summary>
    private long _regularExtents;

    private StoredVolumeChecker(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<long, long>? progress, int sortRunRows)
    {
        _path = metaDbPath;
        _settings = settings;
        _read = read;
        _progress = progress;
        _verify = settings.FormatVersion >= 2;
        _coverage = new ExternalSort(sortRunRows, Path.GetTempPath());
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
    }

    /// <summary>
    /// Checks the volume whose meta.db is at <paramref name="metaDbPath"/> (committed state only; it
    /// may be open and written by the engine meanwhile). <paramref name="read"/> reads a physical block
    /// for the zero-tail check (null skips it); <paramref name="progress"/> is called with (rows
    /// verified, estimated total) as the check goes and last with (total, total).
    /// Throws <see cref="VolumeException"/> (one line) when meta.db cannot be read or holds a value of the wrong type.
    /// </summary>
    public static IReadOnlyList<Violation> Run(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<long, long>? progress) =>
        Run(metaDbPath, settings, read, progress, DefaultSortRunRows, out _);

    /// <summary>The same, with the sort-run size given; <paramref name="peakRowsHeld"/> is the most coverage pairs and shared rows the check held at once.</summary>
    public static IReadOnlyList<Violation> Run(string metaDbPath, VolumeSettings settings, VolumeChecker.ReadBlock? read, Action<long, long>? progress,
        int sortRunRows, out long peakRowsHeld)
    {
        using var checker = new StoredVolumeChecker(metaDbPath, settings, read, progress, sortRunRows);
        try
        {
            var found = checker.Check();
            peakRowsHeld = checker._coverage.PeakRowsHeld + checker._peakSharedRowsHeld;
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
            _total = EstimateRows();
            if (SqliteIntegrity.Problem(_db) is { } problem)
            {
                _found.Add(SqliteIntegrity.Violation(problem));
            }
            VerifySettingsRows();
            _nextIno = StoredNextIno() ?? _settings.NextIno;
            _rootIsDirectory = RootIsDirectory();
            if (!_rootIsDirectory)
            {
                Add(3, "the root directory is missing", FileSystem.RootIno, null, "a directory", "nothing");
            }
            BuildDirectoryTables();
            CheckDirectoryEntries();
            VerifySecurityRows();
            CheckInodes();
            CheckSharedTable();
            CheckSpace();
            ResolveOwners();
        }
        finally
        {
            Execute("ROLLBACK");
        }
        _progress?.Invoke(_total, _total);
        return _found;
    }

    /// <summary>Rows every pass will read: each table once, directory entries three times, each mapping's two ends twice.</summary>
    private long EstimateRows()
    {
        long Count(string table) => Scalar($"SELECT count(*) FROM {table}");
        long dirents = Count("dirents"), extents = Count("extents");
        return Count("settings") + Count("inodes") + 3 * dirents + 5 * extents + Count("shared") + Count("free") + Count("xattrs")
            + Count("security") + Count("orphans") + (HasFlagsTable() ? Count("inode_flags") : 0);
    }

    private bool HasFlagsTable() => Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'inode_flags'") > 0;

    private void RowRead()
    {
        _done++;
        if (_done % ProgressStep == 0)
        {
            _progress?.Invoke(Math.Min(_done, _total), _total);
        }
    }

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
        _db.Dispose();
    }
}
