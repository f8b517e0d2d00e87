using Microsoft.Data.Sqlite;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Reads one inode and what belongs to it (its directory entries or extent map, its extended
/// attributes and chattr flags) from meta.db the first time the engine touches it (issue 11), through
/// prepared statements on a read-only connection of its own. The commit writes through the store's
/// connection meanwhile; in WAL mode this one reads the last durable commit. That is the inode's true
/// state as long as the caller keeps every inode changed since that commit resident (<see cref="VolumeState"/>).
/// Each row is verified as the full load verifies it; a row that fails is corruption, thrown as
/// <see cref="CorruptionException"/> for the caller's guard to stop the volume. Thread-safe: loads
/// take turns on the one connection.
/// </summary>
internal sealed class InodeLoader : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly RowChecksums _checksums = new();
    private readonly bool _verify;
    private readonly RowReader _inode;
    private readonly RowReader _dirents;
    private readonly RowReader _extents;
    private readonly RowReader _xattrs;
    /// <summary>Null on a volume opened read-only from before the flags table (it has no flags).</summary>
    private readonly RowReader? _flags;
    private readonly List<string> _badRows = new();

    /// <param name="verify">Whether the rows carry checksums (format version 2 on).</param>
    public InodeLoader(string metaDb, bool verify)
    {
        _verify = verify;
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            _db.Open();
            _inode = Prepare($"SELECT {StoredRows.InodeColumns} FROM inodes WHERE ino = ?1");
            _dirents = Prepare($"SELECT {StoredRows.DirentColumns} FROM dirents WHERE parent = ?1");
            _extents = Prepare($"SELECT {StoredRows.ExtentColumns} FROM extents WHERE ino = ?1");
            _xattrs = Prepare($"SELECT {StoredRows.XattrColumns} FROM xattrs WHERE ino = ?1");
            using var probe = RowReader.Open(_db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inode_flags'");
            _flags = probe.Read() ? RowReader.Open(_db, "SELECT flags FROM inode_flags WHERE ino = ?1") : null;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private RowReader Prepare(string select) =>
        RowReader.Open(_db, _verify ? select.Replace(" FROM ", ", crc FROM ", StringComparison.Ordinal) : select);

    /// <summary>The stored inode, whole; null when no row has that number. Throws <see cref="CorruptionException"/> when a row of it is damaged.</summary>
    public Inode? Load(long ino)
    {
        lock (_gate)
        {
            try
            {
                return LoadRows(ino);
            }
            catch (Exception e) when (e is SqliteException or InvalidCastException)
            {
                throw new CorruptionException($"meta.db cannot be read: {e.Message}", ino, -1);
            }
            finally
            {
                _badRows.Clear();
                foreach (var query in (ReadOnlySpan<RowReader?>)[_inode, _dirents, _extents, _xattrs, _flags])
                {
                    query?.Reset();
                }
            }
        }
    }

    private Inode? LoadRows(long ino)
    {
        if (!Run(_inode, ino, "inodes"))
        {
            return null;
        }
        var inode = StoredRows.Inode(_inode, _badRows);
        if (_badRows.Count > 0)
        {
            throw new CorruptionException($"row with a value out of range: {_badRows[0]}", ino, -1);
        }
        _inode.Reset();
        if (inode.Children != null)
        {
            for (bool row = Run(_dirents, ino, "dirents"); row; row = Next(_dirents, "dirents"))
            {
                inode.Children.Load(StoredRows.Dirent(_dirents));
            }
        }
        if (inode.Extents != null)
        {
            for (bool row = Run(_extents, ino, "extents"); row; row = Next(_extents, "extents"))
            {
                inode.Extents.Load(_extents.GetInt64(1), StoredRows.Extent(_extents));
            }
        }
        for (bool row = Run(_xattrs, ino, "xattrs"); row; row = Next(_xattrs, "xattrs"))
        {
            StoredRows.Xattr(_xattrs, inode);
        }
        if (_flags != null && Run(_flags, ino, null))
        {
            inode.Flags = (InodeFlags)_flags.GetInt64(0);
        }
        return inode;
    }

    /// <summary>Runs the prepared query for <paramref name="ino"/>; true on its first row, verified against <paramref name="table"/> (null: no checksum).</summary>
    private bool Run(RowReader query, long ino, string? table)
    {
        query.Reset();
        query.Bind(1, ino);
        return Next(query, table);
    }

    private bool Next(RowReader query, string? table)
    {
        if (!query.Read())
        {
            return false;
        }
        if (_verify && table != null)
        {
            int columns = query.FieldCount - 1;
            if (query.GetValue(columns) is not long crc || _checksums.Of(table, query, columns) != crc)
            {
                throw new CorruptionException($"row does not match its checksum: {RowChecksums.Describe(RowChecksums.Table(table), query.GetValue)}", query.GetInt64(0), -1);
            }
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var query in (ReadOnlySpan<RowReader?>)[_inode, _dirents, _extents, _xattrs, _flags])
        {
            query?.Dispose();
        }
        _db.Dispose();
    }
}
