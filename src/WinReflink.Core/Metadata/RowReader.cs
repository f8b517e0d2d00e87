using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using WinReflink.Core.Interop;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Reads the rows of one query through SQLite's own API rather than ADO.NET's data reader. Loading a
/// volume reads every row of meta.db once; through <see cref="SqliteDataReader"/> each column cost
/// several times what stepping the row did (a 200,000-file volume took seconds to load), and the
/// load is the one place where that matters. The per-row calls go through <see cref="Sqlite3"/> on
/// the statement's raw pointer (no SafeHandle reference count per column).
/// Sits on any SQLite connection: an ADO.NET one's handle, or a raw one such as the
/// <see cref="ReadConnection"/> inodes load through.
/// Values must have the type the schema gives their column: damage that changed a value's type fails
/// the load with <see cref="InvalidCastException"/> naming the column, rather than being coerced.
/// Errors SQLite reports are thrown as <see cref="SqliteException"/> with SQLite's message; after one,
/// <see cref="Reset"/> makes the query ready to run again. One thread at a time.
/// </summary>
internal sealed class RowReader : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    /// <summary>The statement's pointer, zero once disposed (SQLite answers a zero statement as an empty one).</summary>
    private nint _stmt;
    /// <summary>
    /// Each column's storage class, and its value when an integer, as read in the row numbered
    /// <see cref="_fetchedIn"/>: a loaded row's columns are read by its checksum and then by the code
    /// that builds the object, and each SQLite column call costs about what the value's use does.
    /// Invariant: an entry whose stamp is <see cref="_row"/> holds the current row's value.
    /// </summary>
    private readonly int[] _types;
    private readonly long[] _integers;
    private readonly uint[] _fetchedIn;
    /// <summary>Numbers the rows stepped to (and resets), so the column cache needs no clearing.</summary>
    private uint _row = 1;

    private RowReader(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
        _stmt = statement.DangerousGetHandle();
        ParameterCount = raw.sqlite3_bind_parameter_count(statement);
        FieldCount = raw.sqlite3_column_count(statement);
        _types = new int[FieldCount];
        _integers = new long[FieldCount];
        _fetchedIn = new uint[FieldCount];
    }

    /// <summary>Prepares the query; throws <see cref="SqliteException"/> when SQLite refuses it.</summary>
    public static RowReader Open(SqliteConnection db, string sql) => Open(db.Handle!, sql);

    /// <summary>Prepares the query on a raw connection; throws <see cref="SqliteException"/> when SQLite refuses it.</summary>
    public static RowReader Open(sqlite3 db, string sql)
    {
        int rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }
        return new RowReader(db, statement);
    }

    /// <summary>Binds the query's parameter <paramref name="index"/> (from 1) for the next run; call after <see cref="Reset"/> to run a prepared query again.</summary>
    public void Bind(int index, long value)
    {
        int rc = Sqlite3.BindInt64(_stmt, index, value);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    /// <summary>Binds a text parameter, as <see cref="Bind(int, long)"/>.</summary>
    public void Bind(int index, string value)
    {
        int rc = raw.sqlite3_bind_text(_statement, index, value);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    /// <summary>The query's parameters (?1, ?2, ...).</summary>
    public int ParameterCount { get; }

    /// <summary>Ends the current run (and its read transaction unless one was begun explicitly), so the prepared query can run again with new parameters.</summary>
    public void Reset()
    {
        // What reset returns repeats the last step's error, which that step already threw.
        _ = Sqlite3.Reset(_stmt);
        NextRow();
    }

    /// <summary>Moves to the next row; false after the last. Throws <see cref="SqliteException"/> on a read error.</summary>
    public bool Read()
    {
        NextRow();
        int rc = Sqlite3.Step(_stmt);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
        return false;
    }

    private void NextRow()
    {
        if (++_row == 0)
        {
            Array.Clear(_fetchedIn);
            _row = 1;
        }
    }

    public string GetName(int column) => raw.sqlite3_column_name(_statement, column).utf8_to_string();

    public int FieldCount { get; }

    /// <summary>The column's value as stored, whatever its type: long, double, string, byte[] or null.</summary>
    public object? GetValue(int column) => ColumnType(column) switch
    {
        raw.SQLITE_INTEGER => RawInt64(column),
        raw.SQLITE_FLOAT => RawDouble(column),
        raw.SQLITE_TEXT => Encoding.UTF8.GetString(RawUtf8(column)),
        raw.SQLITE_BLOB => RawBlob(column).ToArray(),
        _ => null,
    };

    /// <summary>The column's storage class (SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL).</summary>
    public int ColumnType(int column)
    {
        if (_fetchedIn[column] != _row)
        {
            int type = Sqlite3.ColumnType(_stmt, column);
            _types[column] = type;
            if (type == raw.SQLITE_INTEGER)
            {
                _integers[column] = Sqlite3.ColumnInt64(_stmt, column);
            }
            _fetchedIn[column] = _row;
        }
        return _types[column];
    }

    /// <summary>The column's value as an integer, whatever its class (the caller checked it: <see cref="ColumnType"/>).</summary>
    public long RawInt64(int column) => ColumnType(column) == raw.SQLITE_INTEGER ? _integers[column] : Sqlite3.ColumnInt64(_stmt, column);

    public double RawDouble(int column) => Sqlite3.ColumnDouble(_stmt, column);

    /// <summary>The column's text as SQLite holds it (UTF-8; the blob accessor returns a text's bytes unconverted), valid until the row changes.</summary>
    public ReadOnlySpan<byte> RawUtf8(int column) => Sqlite3.ColumnSpan(_stmt, column);

    /// <summary>The column's blob, valid until the row changes.</summary>
    public ReadOnlySpan<byte> RawBlob(int column) => Sqlite3.ColumnSpan(_stmt, column);

    public bool IsDBNull(int column) => ColumnType(column) == raw.SQLITE_NULL;

    public long GetInt64(int column)
    {
        Expect(column, raw.SQLITE_INTEGER, "an integer");
        return RawInt64(column);
    }

    public string GetString(int column)
    {
        Expect(column, raw.SQLITE_TEXT, "text");
        return Encoding.UTF8.GetString(RawUtf8(column));
    }

    public byte[] GetBlob(int column)
    {
        Expect(column, raw.SQLITE_BLOB, "a blob");
        return RawBlob(column).ToArray();
    }

    private void Expect(int column, int type, string what)
    {
        int found = ColumnType(column);
        if (found != type)
        {
            throw new InvalidCastException($"column {raw.sqlite3_column_name(_statement, column).utf8_to_string()} holds {TypeName(found)} where {what} belongs");
        }
    }

    private static string TypeName(int type) => type switch
    {
        raw.SQLITE_INTEGER => "an integer",
        raw.SQLITE_FLOAT => "a real number",
        raw.SQLITE_TEXT => "text",
        raw.SQLITE_BLOB => "a blob",
        _ => "null",
    };

    public void Dispose()
    {
        _stmt = 0;
        _statement.Dispose();
    }
}
