using Microsoft.Data.Sqlite;
using SQLitePCL;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Metadata;

/// <summary>
/// A read-only connection to meta.db opened through SQLite's own API, for the reads that run once per
/// inode touched (<see cref="InodeLoader"/>). It differs from an ADO.NET connection in what a profile of
/// a cold `find` showed to matter (and <see cref="SharedRangeLoader"/> reads the same way):
/// - no per-connection mutex (SQLITE_OPEN_NOMUTEX): e_sqlite3 is built serialized and ADO.NET opens in
///   that mode, so every column read locked and unlocked one; the owner serializes its calls instead;
/// - <see cref="Read"/> (or <see cref="BeginRead"/> / <see cref="EndRead"/>) holds one read
///   transaction over several queries (one snapshot, one set of file locks), where each statement
///   would otherwise take its own.
/// Invariant: one thread at a time (the caller's lock); statements prepared on it are disposed before it.
/// </summary>
internal sealed class ReadConnection : IDisposable
{
    private readonly sqlite3 _db;
    private readonly RowReader _begin;
    private readonly RowReader _commit;

    /// <summary>Opens <paramref name="path"/> read-only; throws <see cref="SqliteException"/> with SQLite's message when it cannot.</summary>
    public ReadConnection(string path)
    {
        // What ADO.NET does before its first connection; the loader may open before any.
        Batteries_V2.Init();
        int rc = raw.sqlite3_open_v2(path, out _db, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null);
        try
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            // As ADO.NET's connections wait (its 30 s default): a read that meets a lock the writer holds
            // for a moment (WAL index recovery after a crash) waits rather than failing as damage.
            rc = raw.sqlite3_busy_timeout(_db, 30_000);
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            _begin = Prepare("BEGIN");
            _commit = Prepare("COMMIT");
        }
        catch
        {
            _begin?.Dispose();
            _db.Dispose();
            throw;
        }
    }

    /// <summary>Prepares a query; throws <see cref="SqliteException"/> when SQLite refuses it.</summary>
    public RowReader Prepare(string sql) => RowReader.Open(_db, sql);

    /// <summary>
    /// Runs <paramref name="read"/> in one read transaction. What SQLite throws, or a value of the wrong
    /// type, is damage: thrown as <see cref="CorruptionException"/> naming <paramref name="ino"/> and
    /// <paramref name="block"/> for the caller to stop the volume. On return (or throw)
    /// <paramref name="reset"/> has reset every query that may have run and the transaction is over.
    /// </summary>
    public T Read<T>(Func<T> read, Action reset, long ino, long block)
    {
        try
        {
            BeginRead();
            return read();
        }
        catch (Exception e) when (e is SqliteException or InvalidCastException)
        {
            throw new CorruptionException($"meta.db cannot be read: {e.Message}", ino, block);
        }
        finally
        {
            reset();
            EndRead();
        }
    }

    /// <summary>Starts a read transaction: the queries until <see cref="EndRead"/> read one snapshot. On entry none is open.</summary>
    public void BeginRead()
    {
        _begin.Reset();
        _begin.Read();
    }

    /// <summary>Ends the read transaction, if one is open. On entry every query that ran in it is reset; on return none is open.</summary>
    public void EndRead()
    {
        _begin.Reset();
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            _commit.Reset();
            _commit.Read();
            _commit.Reset();
        }
    }

    public void Dispose()
    {
        _begin?.Dispose();
        _commit?.Dispose();
        _db.Dispose();
    }
}
