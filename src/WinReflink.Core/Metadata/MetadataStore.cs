using System.Globalization;
using Microsoft.Data.Sqlite;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Transactions;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Metadata;

/// <summary>
/// meta.db: SQLite in WAL mode with synchronous=FULL, so a commit that returned is durable. The
/// engine loads the whole state at open and writes only what changed, one transaction per commit.
/// </summary>
internal sealed class MetadataStore : IDisposable
{
    /// <summary>Every table ends with `crc`, the row's checksum (<see cref="RowChecksums"/>).</summary>
    private const string Schema = """
        CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL, crc INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE inodes(ino INTEGER PRIMARY KEY, mode INTEGER NOT NULL, nlink INTEGER NOT NULL, uid INTEGER NOT NULL,
            gid INTEGER NOT NULL, rdev INTEGER NOT NULL, size INTEGER NOT NULL, atime INTEGER NOT NULL, mtime INTEGER NOT NULL,
            ctime INTEGER NOT NULL, btime INTEGER NOT NULL, winattrs INTEGER NOT NULL, secid INTEGER NOT NULL,
            generation INTEGER NOT NULL, parent INTEGER NOT NULL, symlink TEXT, next_cookie INTEGER NOT NULL, blocks INTEGER NOT NULL DEFAULT 0,
            crc INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE dirents(parent INTEGER NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, ino INTEGER NOT NULL,
            cookie INTEGER NOT NULL, type INTEGER NOT NULL DEFAULT 0, crc INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(parent, key)) WITHOUT ROWID;
        CREATE TABLE extents(ino INTEGER NOT NULL, logical INTEGER NOT NULL, physical INTEGER NOT NULL,
            length INTEGER NOT NULL, unwritten INTEGER NOT NULL, crc INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(ino, logical)) WITHOUT ROWID;
        CREATE TABLE shared(start INTEGER PRIMARY KEY, length INTEGER NOT NULL, refs INTEGER NOT NULL, crc INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE free(start INTEGER PRIMARY KEY, length INTEGER NOT NULL, crc INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE xattrs(ino INTEGER NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, crc INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(ino, name)) WITHOUT ROWID;
        CREATE TABLE security(id INTEGER PRIMARY KEY, descriptor BLOB NOT NULL, crc INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE orphans(ino INTEGER PRIMARY KEY, crc INTEGER NOT NULL DEFAULT 0);
        """ + FlagsTable + DirentsByCookie;

    /// <summary>
    /// A directory's entries in cookie order (format version 4), so a listing resumed at a cookie reads
    /// a page of rows instead of the whole directory.
    /// </summary>
    private const string DirentsByCookie = "CREATE INDEX IF NOT EXISTS dirents_by_cookie ON dirents(parent, cookie);";

    /// <summary>
    /// chattr flags, one row per inode whose flags are not zero. Added within format version 1: a volume
    /// made before it gets the table when first opened for writing, and reads as having no flags.
    /// </summary>
    private const string FlagsTable = "CREATE TABLE IF NOT EXISTS inode_flags(ino INTEGER PRIMARY KEY, flags INTEGER NOT NULL);";

    private const int SqliteIoError = 10;
    private const int SqliteCantOpen = 14;
    private const int SqliteFull = 13;
    private const int SqliteCorrupt = 11;

    /// <summary>
    /// Tables whose rows of an inode that does not exist `check --repair` deletes: they hold nothing
    /// the load kept (it skipped them) and nothing else refers to them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> DanglingRowTables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["xattrs"] = "DELETE FROM xattrs WHERE ino NOT IN (SELECT ino FROM inodes)",
        ["inode_flags"] = "DELETE FROM inode_flags WHERE ino NOT IN (SELECT ino FROM inodes)",
    };

    private readonly SqliteConnection _db;
    private readonly RowChecksums _checksums = new();
    /// <summary>Rows loaded whose checksum did not match, named by table and key; the state carries them to `check`.</summary>
    private readonly List<string> _checksumFailures = new();
    /// <summary>Whether the stored rows have checksums to verify (format version 2 on).</summary>
    private bool _verify = true;

    private MetadataStore(SqliteConnection db)
    {
        _db = db;
    }

    public static MetadataStore Create(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        db.Open();
        var store = new MetadataStore(db);
        store.Pragmas();
        store.Execute(Schema);
        return store;
    }

    /// <summary>
    /// Opens meta.db and checks that SQLite can read it as a WinReflink database; throws
    /// <see cref="VolumeException"/> otherwise. Its pages are verified as loads read them, and whole by
    /// `check` (<see cref="SqliteIntegrity"/>), not here: open must not read the whole file.
    /// </summary>
    public static MetadataStore Open(string path, bool readOnly)
    {
        if (!File.Exists(path))
        {
            throw new VolumeException($"{path} is missing: this folder is not a WinReflink volume");
        }
        if (new FileInfo(path).Length == 0)
        {
            // SQLite would take an empty file for a new database and write a header into it.
            throw new VolumeException($"{path} is empty: the metadata database is truncated or was never written");
        }
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            db.Open();
            var store = new MetadataStore(db);
            // Every volume is created in WAL mode; switching another database to it (in Pragmas) would write to it.
            string mode = Convert.ToString(store.Scalar("PRAGMA journal_mode"), CultureInfo.InvariantCulture) ?? "";
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new VolumeException($"{path} is not a WinReflink metadata database (journal mode {mode}, volumes use wal)");
            }
            if (!readOnly)
            {
                store.Pragmas();
                store.Execute(FlagsTable);
            }
            return store;
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteIoError or SqliteFull or SqliteCantOpen)
        {
            // The host failed the I/O (a full disk, no room for the WAL index): the database may be
            // sound, so do not call it corrupt.
            db.Dispose();
            throw new VolumeException($"cannot open {path}: the host filesystem failed ({e.Message.TrimEnd('.')}); is its disk full or read-only?", e);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new VolumeException($"{path} is corrupt or truncated ({OneLine(e.Message)})", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Text from a damaged row, fit for a one-line message: control characters shown as '?', at most 80 characters.</summary>
    private static string Printable(string? text)
    {
        string line = new((text ?? "").Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return line.Length > 80 ? line[..80] + "..." : line;
    }

    /// <summary>
    /// An error from SQLite as part of a one-line message: a malformed schema is quoted back with the
    /// line breaks of its CREATE TABLE.
    /// </summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');

    private void Pragmas()
    {
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;");
    }

    private void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public VolumeSettings LoadSettings(string path)
    {
        // A load starts here: what an earlier load found is already the state's.
        _checksumFailures.Clear();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            string? storedVersion = Scalar("SELECT value FROM settings WHERE key = 'format_version'") as string;
            // Version 1 has no checksums; it is read as it is (read-only) or upgraded first (FileSystem.Open).
            _verify = storedVersion != "1";
            using var cmd = _db.CreateCommand();
            cmd.CommandText = _verify ? "SELECT key, value, crc FROM settings" : "SELECT key, value FROM settings";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                Verify(r, "settings");
                values[r.GetString(0)] = r.GetString(1);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteCorrupt)
        {
            throw new VolumeException($"{path} is corrupt ({OneLine(e.Message)})", e);
        }
        catch (SqliteException e)
        {
            throw new VolumeException($"{path} is not a WinReflink metadata database ({OneLine(e.Message)})", e);
        }
        catch (InvalidCastException e)
        {
            throw new VolumeException($"{path} is corrupt (a setting holds the wrong type: {OneLine(e.Message)})", e);
        }
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new VolumeException($"{path} has no '{key}' setting: not a WinReflink volume, or corrupt");
        long GetLong(string key, long min, long max)
        {
            if (!long.TryParse(Get(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            {
                throw new VolumeException($"{path}: setting '{key}' is not a number ('{Get(key)}'): corrupt");
            }
            // Checked before any narrowing cast, so a huge value cannot wrap into a plausible one.
            return v >= min && v <= max ? v : throw new VolumeException($"{path}: setting '{key}' is {v}, outside {min}..{max}: corrupt");
        }
        long version = GetLong("format_version", long.MinValue, long.MaxValue);
        if (version < VolumeSettings.OldestUpgradableFormatVersion || version > VolumeSettings.CurrentFormatVersion)
        {
            throw new VolumeException($"{path} has volume format version {version}; this WinReflink reads versions {VolumeSettings.OldestUpgradableFormatVersion} to {VolumeSettings.CurrentFormatVersion} only");
        }
        bool caseSensitive = GetLong("case_sensitive", 0, 1) != 0;
        var (files, directories, extents) = version >= VolumeSettings.StoredCountsFormatVersion
            ? (GetLong("files", 0, long.MaxValue), GetLong("directories", 1, long.MaxValue), GetLong("extents", 0, long.MaxValue))
            : CountRows();
        var (shared, saved) = version >= VolumeSettings.StoredSharingFormatVersion
            ? (GetLong("shared_blocks", 0, long.MaxValue), GetLong("saved_blocks", 0, long.MaxValue))
            : SumSharedRows(path);
        return new VolumeSettings
        {
            FormatVersion = (int)version,
            BlockSize = (int)GetLong("block_size", 1, int.MaxValue),
            CapacityBlocks = GetLong("capacity_blocks", 1, long.MaxValue),
            CaseSensitive = caseSensitive,
            Folding = caseSensitive ? CaseFolding.Identity : LoadFolding(version, Get, path),
            Label = Get("label"),
            CopyRecognition = !values.TryGetValue("copy_recognition", out _) || GetLong("copy_recognition", 0, 1) != 0,
            SerialNumber = (uint)GetLong("serial", 0, uint.MaxValue),
            NextIno = GetLong("next_ino", 2, long.MaxValue),
            NextGeneration = GetLong("next_generation", 0, long.MaxValue),
            FileCount = files,
            DirectoryCount = directories,
            ExtentCount = extents,
            SharedBlocks = shared,
            SavedBlocks = saved,
        };
    }

    /// <summary>A volume older than version 4 keeps no counts: they are counted over its rows, once (the upgrade stores them).</summary>
    private (long Files, long Directories, long Extents) CountRows()
    {
        long directories = Convert.ToInt64(Scalar($"SELECT count(*) FROM inodes WHERE (mode & {PosixMode.TypeMask}) = {PosixMode.Directory}"), CultureInfo.InvariantCulture);
        long inodes = Convert.ToInt64(Scalar("SELECT count(*) FROM inodes"), CultureInfo.InvariantCulture);
        long extents = Convert.ToInt64(Scalar("SELECT count(*) FROM extents"), CultureInfo.InvariantCulture);
        return (inodes - directories, directories, extents);
    }

    /// <summary>A volume older than version 5 keeps no sharing totals: one aggregate over the shared rows (the upgrade stores it).</summary>
    private (long Shared, long Saved) SumSharedRows(string path)
    {
        try
        {
            using var r = RowReader.Open(_db, "SELECT coalesce(sum(length), 0), coalesce(sum(length * (refs - 1)), 0) FROM shared");
            return r.Read() ? (r.GetInt64(0), r.GetInt64(1)) : (0, 0);
        }
        catch (Exception e) when (e is SqliteException or InvalidCastException)
        {
            // A damaged page, a value of the wrong type, or a sum past 64 bits.
            throw new VolumeException($"{path} is corrupt: its shared table cannot be summed ({OneLine(e.Message)})", e);
        }
    }

    /// <summary>
    /// A volume older than version 3 folded names with the runtime that served it and kept no table;
    /// the runtime reading it now is the best account of that folding, and the upgrade stores it.
    /// </summary>
    private static CaseFolding LoadFolding(long version, Func<string, string> get, string path)
    {
        if (version < VolumeSettings.StoredFoldingFormatVersion)
        {
            return CaseFolding.Runtime;
        }
        return CaseFolding.Parse(get("case_folding"), out string? problem)
            ?? throw new VolumeException($"{path}: setting 'case_folding' is invalid ({Printable(problem)}): corrupt");
    }

    /// <summary>
    /// Brings an older volume to the current format in one transaction. From version 1: a `crc` column
    /// in every table and the checksum of every row computed from its stored values. From version 1 or
    /// 2: the case folding stored (a case-insensitive volume). From any older version: the file, directory
    /// and extent counts stored, the dirents index by cookie, the sharing totals (version 5). From any
    /// version before 6: the entries' types (<see cref="StoreEntryTypes"/>) and each inode's mapped block
    /// count (<see cref="StoreMappedBlocks"/>). Then the new version, sealed. Rows of a
    /// version 2 volume keep their checksums, so damage found before the upgrade is still found after.
    /// </summary>
    public void Upgrade(VolumeSettings settings)
    {
        using var tx = _db.BeginTransaction();
        if (settings.FormatVersion == 1)
        {
            foreach (var table in RowChecksums.Tables)
            {
                Execute(tx, $"ALTER TABLE {table.Name} ADD COLUMN crc INTEGER NOT NULL DEFAULT 0");
            }
        }
        using (var cmd = Command(tx, "INSERT OR REPLACE INTO settings(key, value, crc) VALUES ($k, $v, $crc)", "$k", "$v", "$crc"))
        {
            cmd.Parameters[0].Value = "format_version";
            cmd.Parameters[1].Value = VolumeSettings.CurrentFormatVersion.ToString(CultureInfo.InvariantCulture);
            Seal(cmd, "settings");
            if (!settings.CaseSensitive)
            {
                cmd.Parameters[0].Value = "case_folding";
                cmd.Parameters[1].Value = settings.Folding.Serialize();
                Seal(cmd, "settings");
            }
            foreach (var (key, value) in CountRows(settings))
            {
                cmd.Parameters[0].Value = key;
                cmd.Parameters[1].Value = value;
                Seal(cmd, "settings");
            }
            StoreSharingTotals(cmd, settings);
        }
        Execute(tx, DirentsByCookie);
        if (settings.FormatVersion < VolumeSettings.DirentTypesFormatVersion)
        {
            StoreEntryTypes(tx);
        }
        if (settings.FormatVersion < VolumeSettings.StoredBlocksFormatVersion)
        {
            StoreMappedBlocks(tx);
        }
        if (settings.FormatVersion == 1)
        {
            RowChecksums.ResealAll(_db, tx);
        }
        tx.Commit();
    }

    /// <summary>
    /// Version 5's part of an upgrade: the shared and saved block totals, which <see cref="LoadSettings"/>
    /// summed over the shared rows with one aggregate, stored so that open reads no shared row.
    /// </summary>
    private void StoreSharingTotals(SqliteCommand insertSetting, VolumeSettings settings)
    {
        foreach (var (key, value) in SharingRows(settings))
        {
            insertSetting.Parameters[0].Value = key;
            insertSetting.Parameters[1].Value = value;
            Seal(insertSetting, "settings");
        }
    }

    /// <summary>
    /// Version 6's part of an upgrade: each directory entry's file type (<see cref="EntryType"/>) in a
    /// `type` column of its dirents row, taken from the mode of the inode it names (a lookup by the
    /// inode's primary key), and each row that verified before resealed with it. An entry naming no
    /// inode gets <see cref="EntryType.Unknown"/> (`check` reports it as before).
    /// </summary>
    private void StoreEntryTypes(SqliteTransaction tx)
    {
        Execute(tx, "ALTER TABLE dirents ADD COLUMN type INTEGER NOT NULL DEFAULT 0");
        Execute(tx, $"""
            UPDATE dirents SET type = coalesce((SELECT (i.mode & {PosixMode.TypeMask}) >> 12 FROM inodes i WHERE i.ino = dirents.ino), {EntryType.Unknown})
            """);
        RowChecksums.ResealVerified(_db, tx, RowChecksums.Table("dirents"), verifiedColumns: StoredRows.DirentTypeColumn);
    }

    /// <summary>
    /// Version 6's part of an upgrade: each inode row gets its mapped block count (st_blocks), summed
    /// over its extent rows by one aggregate, so getattr needs no extent map. Each row is resealed
    /// only if it verified before, so damage found before the upgrade is still found after (the
    /// upgrade from version 1, without checksums, reseals every row afterwards).
    /// </summary>
    private void StoreMappedBlocks(SqliteTransaction tx)
    {
        Execute(tx, "ALTER TABLE inodes ADD COLUMN blocks INTEGER NOT NULL DEFAULT 0");
        Execute(tx, $"""
            UPDATE inodes SET blocks = mapped.blocks
            FROM (SELECT ino, sum(length) AS blocks FROM extents GROUP BY ino) AS mapped
            WHERE inodes.ino = mapped.ino AND (inodes.mode & {PosixMode.TypeMask}) = {PosixMode.Regular}
            """);
        RowChecksums.ResealVerified(_db, tx, RowChecksums.Table("inodes"), verifiedColumns: StoredRows.BlocksColumn);
    }

    /// <summary>Recomputes every row's checksum from its stored values (`check --repair`, once the rows are otherwise consistent).</summary>
    public void ResealAll()
    {
        using var tx = _db.BeginTransaction();
        RowChecksums.ResealAll(_db, tx);
        tx.Commit();
    }

    /// <summary>Compares the current row's checksum (its last column) with its values; a mismatch is recorded, not thrown, so `check` can report every one.</summary>
    private void Verify(SqliteDataReader r, string table)
    {
        int columns = r.FieldCount - 1;
        if (_verify && (r.GetValue(columns) is not long crc || _checksums.Of(table, r, columns) != crc))
        {
            _checksumFailures.Add(RowChecksums.Describe(RowChecksums.Table(table), r.GetValue));
        }
    }

    private void Verify(RowReader r, string table)
    {
        if (_verify && _checksums.Mismatch(table, r, r.FieldCount - 1) is { } row)
        {
            _checksumFailures.Add(row);
        }
    }

    /// <summary>
    /// The state open needs: the volume-wide rows (free space, security descriptors, orphans), the
    /// shared ranges unless <paramref name="sharedRows"/> pages them, and with <paramref name="loader"/>
    /// null every inode too, whole (`check`, repair). With a loader, inodes load when first touched
    /// (issue 11) and open reads no row per file; with <paramref name="sharedRows"/>, shared ranges load
    /// by physical segment when first touched, within <paramref name="sharedBudget"/> rows and segments.
    /// </summary>
    public VolumeState LoadState(VolumeSettings settings, string path, InodeLoader? loader, SharedRangeLoader? sharedRows = null, long sharedBudget = 0)
    {
        try
        {
            return LoadStateRows(settings, loader, sharedRows, sharedBudget);
        }
        catch (SqliteException e)
        {
            throw new VolumeException($"{path} is corrupt ({OneLine(e.Message)})", e);
        }
        catch (InvalidCastException e)
        {
            throw new VolumeException($"{path} is corrupt (a column holds the wrong type: {OneLine(e.Message)})", e);
        }
    }

    private VolumeState LoadStateRows(VolumeSettings settings, InodeLoader? loader, SharedRangeLoader? sharedRows, long sharedBudget)
    {
        var state = new VolumeState(settings, loader, sharedRows, sharedBudget);
        if (sharedRows == null)
        {
            ReadRows("shared", "SELECT start, length, refs FROM shared", r =>
            {
                long refs = r.GetInt64(2);
                if (refs is < 0 or > int.MaxValue)
                {
                    state.BadRows.Add($"shared row (start {r.GetInt64(0)}): refs {refs} does not fit 31 bits");
                }
                state.Refcounts.Load(r.GetInt64(0), new SharedRange(r.GetInt64(1), (int)Math.Clamp(refs, 0, int.MaxValue)));
            });
        }
        ReadRows("free", "SELECT start, length FROM free", r => state.Allocator.Free.Load(r.GetInt64(0), r.GetInt64(1)));
        ReadRows("security", "SELECT id, descriptor FROM security", r => state.Security.Load(r.GetInt64(0), r.GetBlob(1)));
        ReadRows("orphans", "SELECT ino FROM orphans", r => state.Orphans.Add(r.GetInt64(0)));
        if (loader == null)
        {
            LoadInodeRows(state);
        }
        state.ChecksumFailures.AddRange(_checksumFailures);
        return state;
    }

    /// <summary>Every inode with its entries, extents, attributes and flags, and each descriptor's users.</summary>
    private void LoadInodeRows(VolumeState state)
    {
        bool storedBlocks = state.Settings.FormatVersion >= VolumeSettings.StoredBlocksFormatVersion;
        ReadRows("inodes", $"SELECT {StoredRows.InodeColumns(storedBlocks)} FROM inodes", r =>
        {
            var inode = StoredRows.Inode(r, state.BadRows, storedBlocks);
            state.Inodes[inode.Ino] = inode;
        });
        bool typed = state.Settings.FormatVersion >= VolumeSettings.DirentTypesFormatVersion;
        ReadRows("dirents", $"SELECT {StoredRows.DirentColumns(typed)} FROM dirents", r =>
        {
            if (state.Inodes.TryGetValue(r.GetInt64(0), out var dir) && dir.Children != null)
            {
                dir.Children.Load(StoredRows.Dirent(r, typed));
            }
            else
            {
                state.DanglingRows.Add(new("dirents", $"directory entry '{r.GetString(2)}' in inode {r.GetInt64(0)}, which is not a directory"));
            }
        });
        ReadRows("extents", $"SELECT {StoredRows.ExtentColumns} FROM extents", r =>
        {
            if (state.Inodes.TryGetValue(r.GetInt64(0), out var file) && file.Extents != null)
            {
                file.Extents.Load(r.GetInt64(1), StoredRows.Extent(r));
            }
            else
            {
                state.DanglingRows.Add(new("extents", $"extent at logical block {r.GetInt64(1)} of inode {r.GetInt64(0)}, which is not a regular file"));
            }
        });
        ReadRows("xattrs", $"SELECT {StoredRows.XattrColumns} FROM xattrs", r =>
        {
            if (state.Inodes.TryGetValue(r.GetInt64(0), out var inode))
            {
                StoredRows.Xattr(r, inode);
            }
            else
            {
                state.DanglingRows.Add(new("xattrs", $"extended attribute '{r.GetString(1)}' of inode {r.GetInt64(0)}, which does not exist"));
            }
        });
        foreach (var inode in state.Inodes.Values)
        {
            if (inode.SecurityId != 0)
            {
                state.Security.LoadUse(inode.SecurityId);
            }
            if (!storedBlocks)
            {
                inode.Extents?.Recount();
            }
        }
        if (Scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'inode_flags'") != null)
        {
            ReadRows(null, "SELECT ino, flags FROM inode_flags", r =>
            {
                if (state.Inodes.TryGetValue(r.GetInt64(0), out var inode))
                {
                    inode.Flags = (InodeFlags)r.GetInt64(1);
                }
                else
                {
                    state.DanglingRows.Add(new("inode_flags", $"flags of inode {r.GetInt64(0)}, which does not exist"));
                }
            });
        }
    }

    /// <summary>Reads rows, verifying each one's checksum against <paramref name="table"/> (null: a table without checksums).</summary>
    private void ReadRows(string? table, string sql, Action<RowReader> row)
    {
        using var r = RowReader.Open(_db, table == null ? sql : WithChecksum(sql));
        while (r.Read())
        {
            if (table != null)
            {
                Verify(r, table);
            }
            row(r);
        }
    }

    /// <summary>The SELECT with the row's checksum as its last column, when the volume has checksums.</summary>
    private string WithChecksum(string select) => StoredRows.WithChecksum(select, _verify);

    /// <summary>A new volume's rows; the root's security descriptor, when it has one, is descriptor 1 (<see cref="Inode.SecurityId"/>).</summary>
    public void WriteNewVolume(VolumeSettings settings, Inode root, byte[]? rootDescriptor)
    {
        using var tx = _db.BeginTransaction();
        WriteSettings(settings, tx);
        WriteInode(root, tx);
        if (rootDescriptor != null)
        {
            using var sd = Command(tx, "INSERT INTO security(id, descriptor, crc) VALUES ($id, $d, $crc)", "$id", "$d", "$crc");
            sd.Parameters[0].Value = root.SecurityId;
            sd.Parameters[1].Value = rootDescriptor;
            Seal(sd, "security");
        }
        using (var cmd = Command(tx, "INSERT INTO free(start, length, crc) VALUES ($a, $b, $crc)", "$a", "$b", "$crc"))
        {
            cmd.Parameters[0].Value = 0L;
            cmd.Parameters[1].Value = settings.CapacityBlocks;
            Seal(cmd, "free");
        }
        tx.Commit();
    }

    private void WriteSettings(VolumeSettings s, SqliteTransaction tx)
    {
        var (sql, parameters, table) = Statements[RowStatement.Setting];
        using var cmd = Command(tx, sql, parameters);
        foreach (var (key, value) in SettingRows(s))
        {
            cmd.Parameters[0].Value = key;
            cmd.Parameters[1].Value = value;
            Seal(cmd, table!);
        }
    }

    private static IEnumerable<(string Key, string Value)> SettingRows(VolumeSettings s)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("format_version", s.FormatVersion.ToString(inv));
        yield return ("block_size", s.BlockSize.ToString(inv));
        yield return ("capacity_blocks", s.CapacityBlocks.ToString(inv));
        yield return ("case_sensitive", s.CaseSensitive ? "1" : "0");
        if (!s.CaseSensitive)
        {
            yield return ("case_folding", s.Folding.Serialize());
        }
        yield return ("label", s.Label);
        if (!s.CopyRecognition)
        {
            yield return ("copy_recognition", "0");
        }
        yield return ("serial", s.SerialNumber.ToString(inv));
        yield return ("next_ino", s.NextIno.ToString(inv));
        yield return ("next_generation", s.NextGeneration.ToString(inv));
        foreach (var row in CountRows(s))
        {
            yield return row;
        }
        foreach (var row in SharingRows(s))
        {
            yield return row;
        }
    }

    private static IEnumerable<(string Key, string Value)> SharingRows(VolumeSettings s)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("shared_blocks", s.SharedBlocks.ToString(inv));
        yield return ("saved_blocks", s.SavedBlocks.ToString(inv));
    }

    private static IEnumerable<(string Key, string Value)> CountRows(VolumeSettings s)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("files", s.FileCount.ToString(inv));
        yield return ("directories", s.DirectoryCount.ToString(inv));
        yield return ("extents", s.ExtentCount.ToString(inv));
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql, params string[] parameters)
    {
        var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (string p in parameters)
        {
            cmd.Parameters.Add(new SqliteParameter(p, null));
        }
        cmd.Prepare();
        return cmd;
    }

    private void WriteInode(Inode i, SqliteTransaction tx)
    {
        var (sql, parameters, table) = Statements[RowStatement.InodePut];
        using var cmd = Command(tx, sql, parameters);
        object?[] values = InodeValues(i);
        for (int k = 0; k < values.Length; k++)
        {
            cmd.Parameters[k].Value = values[k] ?? DBNull.Value;
        }
        Seal(cmd, table!);
    }

    /// <summary>Stores the row bound to an INSERT with its checksum (the command's last parameter).</summary>
    private void Seal(SqliteCommand insert, string table)
    {
        insert.Parameters[^1].Value = _checksums.Of(table, insert.Parameters);
        insert.ExecuteNonQuery();
    }

    /// <summary>The values of an inode's row, in the order of the inodes table's columns.</summary>
    private static object?[] InodeValues(Inode i) =>
    [
        i.Ino, (long)i.Mode, (long)i.Nlink, (long)i.Uid, (long)i.Gid, (long)i.Rdev, i.Size, i.AccessTime, i.ModifyTime,
        i.ChangeTime, i.BirthTime, (long)i.WindowsAttributes, i.SecurityId, i.Generation, i.Parent, i.SymlinkTarget,
        i.Children?.NextCookie ?? 0L, i.Extents?.MappedBlocks ?? 0L,
    ];

    /// <summary>The SQL of each statement a commit writes, its parameters, and the table whose checksum seals the row (null: no checksum).</summary>
    private static readonly Dictionary<RowStatement, (string Sql, string[] Parameters, string? SealTable)> Statements = new()
    {
        [RowStatement.Setting] = ("INSERT OR REPLACE INTO settings(key, value, crc) VALUES ($k, $v, $crc)", ["$k", "$v", "$crc"], "settings"),
        [RowStatement.InodePut] = ("""
            INSERT OR REPLACE INTO inodes(ino, mode, nlink, uid, gid, rdev, size, atime, mtime, ctime, btime, winattrs, secid, generation, parent, symlink, next_cookie, blocks, crc)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $crc)
            """, ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16", "$17", "$18", "$crc"], "inodes"),
        [RowStatement.InodeDelete] = ("DELETE FROM inodes WHERE ino = $i", ["$i"], null),
        [RowStatement.ExtentPut] = ("INSERT OR REPLACE INTO extents(ino, logical, physical, length, unwritten, crc) VALUES ($i, $l, $p, $n, $u, $crc)", ["$i", "$l", "$p", "$n", "$u", "$crc"], "extents"),
        [RowStatement.ExtentDelete] = ("DELETE FROM extents WHERE ino = $i AND logical = $l", ["$i", "$l"], null),
        [RowStatement.ExtentDeleteAll] = ("DELETE FROM extents WHERE ino = $i", ["$i"], null),
        [RowStatement.DirentPut] = ("INSERT OR REPLACE INTO dirents(parent, key, name, ino, cookie, type, crc) VALUES ($p, $k, $n, $i, $c, $t, $crc)", ["$p", "$k", "$n", "$i", "$c", "$t", "$crc"], "dirents"),
        [RowStatement.DirentDelete] = ("DELETE FROM dirents WHERE parent = $p AND key = $k", ["$p", "$k"], null),
        [RowStatement.DirentDeleteAll] = ("DELETE FROM dirents WHERE parent = $i", ["$i"], null),
        [RowStatement.XattrDeleteAll] = ("DELETE FROM xattrs WHERE ino = $i", ["$i"], null),
        [RowStatement.XattrPut] = ("INSERT INTO xattrs(ino, name, value, crc) VALUES ($i, $n, $v, $crc)", ["$i", "$n", "$v", "$crc"], "xattrs"),
        [RowStatement.FlagsPut] = ("INSERT OR REPLACE INTO inode_flags(ino, flags) VALUES ($i, $f)", ["$i", "$f"], null),
        [RowStatement.FlagsDelete] = ("DELETE FROM inode_flags WHERE ino = $i", ["$i"], null),
        [RowStatement.SharedPut] = ("INSERT OR REPLACE INTO shared(start, length, refs, crc) VALUES ($s, $l, $r, $crc)", ["$s", "$l", "$r", "$crc"], "shared"),
        [RowStatement.SharedDelete] = ("DELETE FROM shared WHERE start = $s", ["$s"], null),
        [RowStatement.FreePut] = ("INSERT OR REPLACE INTO free(start, length, crc) VALUES ($s, $l, $crc)", ["$s", "$l", "$crc"], "free"),
        [RowStatement.FreeDelete] = ("DELETE FROM free WHERE start = $s", ["$s"], null),
        [RowStatement.SecurityPut] = ("INSERT OR REPLACE INTO security(id, descriptor, crc) VALUES ($i, $d, $crc)", ["$i", "$d", "$crc"], "security"),
        [RowStatement.SecurityDelete] = ("DELETE FROM security WHERE id = $i", ["$i"], null),
        [RowStatement.OrphansClear] = ("DELETE FROM orphans", [], null),
        [RowStatement.OrphanPut] = ("INSERT INTO orphans(ino, crc) VALUES ($i, $crc)", ["$i", "$crc"], "orphans"),
    };

    /// <summary>
    /// Takes every change of the state since the last capture as values, and forgets the changes:
    /// on return the state's change tracking is empty and the record alone says what to write. Called
    /// under the volume lock; cheap next to the write (no I/O).
    /// </summary>
    public static CommitRecord Capture(VolumeState state, ChangeSet changes)
    {
        var record = new CommitRecord();
        long extents = 0;
        foreach (var inode in changes.ChangedInodes)
        {
            if (state.Inodes.ContainsKey(inode.Ino))
            {
                extents += inode.Extents?.TakeCountChange() ?? 0;
            }
        }
        if (extents != 0)
        {
            state.Settings.CountExtents(extents);
            changes.SettingsChanged = true;
        }
        var (shared, saved) = state.Refcounts.Totals();
        if (shared != state.Settings.SharedBlocks || saved != state.Settings.SavedBlocks)
        {
            state.Settings.StoreSharing(shared, saved);
            changes.SettingsChanged = true;
        }
        if (changes.SettingsChanged)
        {
            foreach (var (key, value) in SettingRows(state.Settings))
            {
                record.Add(RowStatement.Setting, key, value);
            }
        }
        foreach (long ino in changes.DeletedInodes)
        {
            foreach (var statement in new[] { RowStatement.InodeDelete, RowStatement.ExtentDeleteAll, RowStatement.XattrDeleteAll, RowStatement.DirentDeleteAll, RowStatement.FlagsDelete })
            {
                record.Add(statement, ino);
            }
        }
        foreach (var inode in changes.ChangedInodes)
        {
            if (!state.Inodes.ContainsKey(inode.Ino))
            {
                continue;
            }
            record.Add(RowStatement.InodePut, InodeValues(inode));
            inode.Extents?.DrainChanges((logical, present, v) =>
            {
                if (present)
                {
                    record.Add(RowStatement.ExtentPut, inode.Ino, logical, v.Physical, v.Length, v.Unwritten ? 1L : 0L);
                }
                else
                {
                    record.Add(RowStatement.ExtentDelete, inode.Ino, logical);
                }
            });
            inode.Children?.DrainChanges((key, entry) =>
            {
                if (entry != null)
                {
                    record.Add(RowStatement.DirentPut, inode.Ino, key, entry.Name, entry.Ino, entry.Cookie, entry.Type);
                }
                else
                {
                    record.Add(RowStatement.DirentDelete, inode.Ino, key);
                }
            });
            if (inode.XattrsChanged)
            {
                record.Add(RowStatement.XattrDeleteAll, inode.Ino);
                foreach (var kv in inode.Xattrs ?? new Dictionary<string, byte[]>())
                {
                    record.Add(RowStatement.XattrPut, inode.Ino, kv.Key, kv.Value);
                }
                inode.XattrsChanged = false;
            }
            if (inode.FlagsChanged)
            {
                if (inode.Flags != InodeFlags.None)
                {
                    record.Add(RowStatement.FlagsPut, inode.Ino, (long)inode.Flags);
                }
                else
                {
                    record.Add(RowStatement.FlagsDelete, inode.Ino);
                }
                inode.FlagsChanged = false;
            }
        }
        state.Refcounts.DrainChanges((start, present, v) =>
        {
            if (present)
            {
                record.Add(RowStatement.SharedPut, start, v.Length, (long)v.Refs);
            }
            else
            {
                record.Add(RowStatement.SharedDelete, start);
            }
        });
        state.Allocator.Free.Rows.DrainChanges((start, present, length) =>
        {
            if (present)
            {
                record.Add(RowStatement.FreePut, start, length);
            }
            else
            {
                record.Add(RowStatement.FreeDelete, start);
            }
        });
        state.Security.DrainChanges((id, descriptor) =>
        {
            if (descriptor != null)
            {
                record.Add(RowStatement.SecurityPut, id, descriptor);
            }
            else
            {
                record.Add(RowStatement.SecurityDelete, id);
            }
        });
        if (changes.OrphansChanged)
        {
            record.Add(RowStatement.OrphansClear);
            foreach (long ino in state.Orphans)
            {
                record.Add(RowStatement.OrphanPut, ino);
            }
        }
        foreach (string table in state.DropDanglingRows)
        {
            record.Add(RowStatement.DanglingRowsDelete, table);
        }
        state.DropDanglingRows.Clear();
        return record;
    }

    /// <summary>
    /// Writes a captured commit in one durable SQLite transaction (synchronous=FULL: durable on
    /// return). Needs no volume lock: it reads only the record. Commits are written one at a time, in
    /// the order they were captured.
    /// </summary>
    public void Write(CommitRecord record)
    {
        using var tx = _db.BeginTransaction();
        var commands = new Dictionary<RowStatement, SqliteCommand>();
        try
        {
            foreach (var row in record.Rows)
            {
                if (row.Statement == RowStatement.DanglingRowsDelete)
                {
                    Execute(tx, DanglingRowTables[(string)row.Values[0]!]);
                    continue;
                }
                var (sql, parameters, sealTable) = Statements[row.Statement];
                if (!commands.TryGetValue(row.Statement, out var cmd))
                {
                    cmd = Command(tx, sql, parameters);
                    commands[row.Statement] = cmd;
                }
                for (int i = 0; i < row.Values.Length; i++)
                {
                    cmd.Parameters[i].Value = row.Values[i] ?? DBNull.Value;
                }
                if (sealTable != null)
                {
                    Seal(cmd, sealTable);
                }
                else
                {
                    cmd.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
        finally
        {
            foreach (var cmd in commands.Values)
            {
                cmd.Dispose();
            }
        }
    }

    private void Execute(SqliteTransaction tx, string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>SQLite's verdict on the file's structure (<see cref="SqliteIntegrity"/>); null when sound.</summary>
    public string? IntegrityProblem() => SqliteIntegrity.Problem(_db);

    /// <summary>
    /// Rebuilds every index of meta.db from its table (REINDEX): of what SQLite's integrity check can
    /// report, the indexes are what a repair can mend, since they are derived from the tables that hold
    /// the volume. The rebuild is kept only when <paramref name="keep"/> and the check passes after it;
    /// otherwise it is rolled back. Returns what the check still reports, or null when the rebuilt file
    /// is sound.
    /// </summary>
    public string? RebuildIndexes(bool keep)
    {
        try
        {
            using var tx = _db.BeginTransaction();
            Execute(tx, "REINDEX");
            string? left = SqliteIntegrity.Problem(_db, tx);
            if (left == null && keep)
            {
                tx.Commit();
            }
            return left;
        }
        catch (SqliteException e)
        {
            // A damaged page the rebuild itself cannot read (or free): the transaction rolled back.
            return OneLine(e.Message);
        }
    }

    public void Dispose() => _db.Dispose();
}
