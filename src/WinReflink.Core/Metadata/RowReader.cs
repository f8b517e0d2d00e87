using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Reads the rows of one query through SQLite's own API rather than ADO.NET's data reader. Loading a
/// volume reads every row of meta.db once; through <see cref="SqliteDataReader"/> each column cost
/// several times what stepping the row did (a 200,000-file volume took seconds to load), and the
/// load is the one place where that matters.
/// Values must have the type the schema gives their column: damage that changed a value's type fails
/// the load with <see cref="InvalidCastException"/> naming the column, rather than being coerced.
/// </summary>
internal sealed class RowReader : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly sqlite3_stmt _statement;

    private RowReader(SqliteConnection db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
    }

    /// <summary>Prepares the query; throws <see cref="SqliteException"/> when SQLite refuses it.</summary>
    public static RowReader Open(SqliteConnection db, string sql)
    {
        int rc = raw.sqlite3_prepare_v2(db.Handle, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db.Handle);
        }
        return new RowReader(db, statement);
    }

    /// <summary>Binds the query's parameter <paramref name="index"/> (from 1) for the next run; call after <see cref="Reset"/> to run a prepared query again.</summary>
    public void Bind(int index, long value)
    {
        int rc = raw.sqlite3_bind_int64(_statement, index, value);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db.Handle);
        }
    }

    /// <summary>Binds a text parameter, as <see cref="Bind(int, long)"/>.</summary>
    public void Bind(int index, string value)
    {
        int rc = raw.sqlite3_bind_text(_statement, index, value);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db.Handle);
        }
    }

    /// <summary>The query's parameters (?1, ?2, ...).</summary>
    public int ParameterCount => raw.sqlite3_bind_parameter_count(_statement);

    /// <summary>Ends the current run (its read transaction with it), so the prepared query can run again with new parameters.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    /// <summary>Moves to the next row; false after the last. Throws <see cref="SqliteException"/> on a read error.</summary>
    public bool Read()
    {
        int rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db.Handle);
        }
        return false;
    }

    public string GetName(int column) => raw.sqlite3_column_name(_statement, column).utf8_to_string();

    public int FieldCount => raw.sqlite3_column_count(_statement);

    /// <summary>The column's value as stored, whatever its type: long, double, string, byte[] or null.</summary>
    public object? GetValue(int column) => raw.sqlite3_column_type(_statement, column) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(_statement, column),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_statement, column),
        raw.SQLITE_TEXT => raw.sqlite3_column_text(_statement, column).utf8_to_string(),
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(_statement, column).ToArray(),
        _ => null,
    };

    /// <summary>The column's storage class (SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL).</summary>
    public int ColumnType(int column) => raw.sqlite3_column_type(_statement, column);

    /// <summary>The column's value as an integer, whatever its class (the caller checked it: <see cref="ColumnType"/>).</summary>
    public long RawInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public double RawDouble(int column) => raw.sqlite3_column_double(_statement, column);

    /// <summary>The column's text as SQLite holds it (UTF-8; the blob accessor returns a text's bytes unconverted), valid until the row changes.</summary>
    public ReadOnlySpan<byte> RawUtf8(int column) => raw.sqlite3_column_blob(_statement, column);

    /// <summary>The column's blob, valid until the row changes.</summary>
    public ReadOnlySpan<byte> RawBlob(int column) => raw.sqlite3_column_blob(_statement, column);

    public bool IsDBNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long GetInt64(int column)
    {
        Expect(column, raw.SQLITE_INTEGER, "an integer");
        return raw.sqlite3_column_int64(_statement, column);
    }

    public string GetString(int column)
    {
        Expect(column, raw.SQLITE_TEXT, "text");
        return raw.sqlite3_column_text(_statement, column).utf8_to_string();
    }

    public byte[] GetBlob(int column)
    {
        Expect(column, raw.SQLITE_BLOB, "a blob");
        return raw.sqlite3_column_blob(_statement, column).ToArray();
    }

    private void Expect(int column, int type, string what)
    {
        int found = raw.sqlite3_column_type(_statement, column);
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

    public void Dispose() => _statement.Dispose();
}
