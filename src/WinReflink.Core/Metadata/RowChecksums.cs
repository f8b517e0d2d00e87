using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace WinReflink.Core.Metadata;

/// <summary>A meta.db table: its columns in stored order, the first <see cref="KeyColumns"/> of them its primary key.</summary>
internal sealed record RowTable(string Name, string[] Columns, int KeyColumns);

/// <summary>
/// Row checksums (format version 2): every row of meta.db carries in its `crc` column the XxHash3 of
/// its table's name and its values, so damage inside a row (which SQLite's own integrity check cannot
/// see) is found when the row is loaded. Each value is hashed with its storage class (integer, text,
/// blob, null), so a value that changed type does not verify either. Text is hashed as UTF-16
/// little-endian, the form .NET holds it in on every platform the engine runs on.
/// A row is hashed over the columns its table has: the dirents `type` (format version 6) counts only
/// where the table has it, so a volume of an older version opened read-only still verifies.
/// </summary>
internal sealed class RowChecksums
{
    public static readonly RowTable[] Tables =
    [
        new("settings", ["key", "value"], 1),
        new("inodes", ["ino", "mode", "nlink", "uid", "gid", "rdev", "size", "atime", "mtime", "ctime", "btime", "winattrs", "secid", "generation", "parent", "symlink", "next_cookie", "blocks"], 1),
        new("dirents", ["parent", "key", "name", "ino", "cookie", "type"], 2),
        new("extents", ["ino", "logical", "physical", "length", "unwritten"], 2),
        new("shared", ["start", "length", "refs"], 1),
        new("free", ["start", "length"], 1),
        new("xattrs", ["ino", "name", "value"], 2),
        new("security", ["id", "descriptor"], 1),
        new("orphans", ["ino"], 1),
    ];

    /// <summary>The row being laid out for its hash; reused, so an instance serves one thread.</summary>
    private readonly ArrayBufferWriter<byte> _row = new(256);

    /// <summary>
    /// The checksum of the first <paramref name="columns"/> values of the reader's current row, laid
    /// out straight from SQLite's column values (loads verify every row they read: no boxed value, no
    /// string).
    /// </summary>
    public long Of(string table, RowReader row, int columns)
    {
        Begin(table);
        for (int i = 0; i < columns; i++)
        {
            switch (row.ColumnType(i))
            {
                case SQLitePCL.raw.SQLITE_INTEGER:
                    Put(row.RawInt64(i), 1);
                    break;
                case SQLitePCL.raw.SQLITE_FLOAT:
                    Put(BitConverter.DoubleToInt64Bits(row.RawDouble(i)), 4);
                    break;
                case SQLitePCL.raw.SQLITE_TEXT:
                    PutUtf8(row.RawUtf8(i));
                    break;
                case SQLitePCL.raw.SQLITE_BLOB:
                    Put(row.RawBlob(i));
                    break;
                default:
                    PutNull();
                    break;
            }
        }
        return Finish();
    }

    /// <summary>The same, for ADO.NET readers (the settings and the reseal read through them).</summary>
    public long Of(string table, SqliteDataReader row, int columns)
    {
        Begin(table);
        for (int i = 0; i < columns; i++)
        {
            PutValue(row.GetValue(i));
        }
        return Finish();
    }

    /// <summary>The checksum of the values bound to a row's INSERT, all parameters but the last (the crc itself).</summary>
    public long Of(string table, SqliteParameterCollection parameters)
    {
        Begin(table);
        for (int i = 0; i < parameters.Count - 1; i++)
        {
            PutValue(parameters[i].Value);
        }
        return Finish();
    }

    /// <summary>The checksum of a row's values in column order (the upgrade's SQL function passes them).</summary>
    public long Of(string table, ReadOnlySpan<object?> values)
    {
        Begin(table);
        foreach (object? value in values)
        {
            PutValue(value);
        }
        return Finish();
    }

    private void PutValue(object? value)
    {
        switch (value)
        {
            case null or DBNull:
                PutNull();
                break;
            case long l:
                Put(l, 1);
                break;
            case string s:
                Put(s);
                break;
            case double d:
                Put(BitConverter.DoubleToInt64Bits(d), 4);
                break;
            case byte[] b:
                Put(b);
                break;
            case var other:
                // Every engine binding is a long, string or byte[]; anything else would be stored as an integer.
                Put(Convert.ToInt64(other, System.Globalization.CultureInfo.InvariantCulture), 1);
                break;
        }
    }

    private void Begin(string table)
    {
        _row.ResetWrittenCount();
        Put(table);
    }

    private long Finish() => (long)XxHash3.HashToUInt64(_row.WrittenSpan);

    private void PutNull() => _row.Write<byte>([0]);

    private void PutHeader(byte tag, int length)
    {
        var span = _row.GetSpan(5);
        span[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], length);
        _row.Advance(5);
    }

    private void Put(long value, byte tag)
    {
        var span = _row.GetSpan(9);
        span[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], value);
        _row.Advance(9);
    }

    /// <summary>Text: its length in UTF-16 units, then UTF-16LE.</summary>
    private void Put(string value)
    {
        PutHeader(2, value.Length);
        _row.Write(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    /// <summary>Text as SQLite holds it (UTF-8), laid out as <see cref="Put(string)"/> lays out the same text.</summary>
    private void PutUtf8(ReadOnlySpan<byte> utf8)
    {
        int units = System.Text.Encoding.UTF8.GetCharCount(utf8);
        PutHeader(2, units);
        var chars = MemoryMarshal.Cast<byte, char>(_row.GetSpan(units * 2));
        System.Text.Encoding.UTF8.GetChars(utf8, chars);
        _row.Advance(units * 2);
    }

    private void Put(ReadOnlySpan<byte> blob)
    {
        PutHeader(3, blob.Length);
        _row.Write(blob);
    }

    /// <summary>
    /// Null when the reader's current row carries in column <paramref name="columns"/> the checksum of
    /// its first <paramref name="columns"/> values; otherwise the row named for a message (<see cref="Describe"/>).
    /// </summary>
    public string? Mismatch(string table, RowReader row, int columns) =>
        row.GetValue(columns) is long crc && Of(table, row, columns) == crc ? null : Describe(Table(table), row.GetValue);

    /// <summary>Names a row by its table and key, for messages: "extents row (ino 12, logical 0)".</summary>
    public static string Describe(RowTable table, Func<int, object?> value)
    {
        var parts = new List<string>();
        for (int i = 0; i < table.KeyColumns; i++)
        {
            parts.Add($"{table.Columns[i]} {value(i) switch { null or DBNull => "null", var v => v }}");
        }
        return $"{table.Name} row ({string.Join(", ", parts)})";
    }

    public static RowTable Table(string name) => Tables.First(t => t.Name == name);

    /// <summary>
    /// Recomputes the checksum of every row from its stored values, in the caller's transaction: the
    /// upgrade from format version 1 does this once, and `check --repair` does it when the rows whose
    /// checksums failed are consistent with everything else.
    /// </summary>
    public static void ResealAll(SqliteConnection db, SqliteTransaction tx)
    {
        var checksums = new RowChecksums();
        foreach (var table in Tables)
        {
            var rows = new List<(object[] Key, long Crc)>();
            using (var select = db.CreateCommand())
            {
                select.Transaction = tx;
                select.CommandText = $"SELECT {string.Join(", ", table.Columns)} FROM {table.Name}";
                using var r = select.ExecuteReader();
                while (r.Read())
                {
                    var key = new object[table.KeyColumns];
                    for (int i = 0; i < key.Length; i++)
                    {
                        key[i] = r.GetValue(i);
                    }
                    rows.Add((key, checksums.Of(table.Name, r, table.Columns.Length)));
                }
            }
            using var update = db.CreateCommand();
            update.Transaction = tx;
            update.CommandText = $"UPDATE {table.Name} SET crc = $crc WHERE "
                + string.Join(" AND ", table.Columns.Take(table.KeyColumns).Select((c, i) => $"{c} = $k{i}"));
            update.Parameters.Add(new SqliteParameter("$crc", null));
            for (int i = 0; i < table.KeyColumns; i++)
            {
                update.Parameters.Add(new SqliteParameter("$k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
            }
            foreach (var (key, crc) in rows)
            {
                update.Parameters[0].Value = crc;
                for (int i = 0; i < key.Length; i++)
                {
                    update.Parameters[i + 1].Value = key[i];
                }
                update.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// After a column was added to <paramref name="table"/> and filled, seals each row with the checksum
    /// of all its columns, but only a row whose stored checksum is that of its first
    /// <paramref name="verifiedColumns"/> (the columns it had): a row damaged before stays a row that
    /// fails. One UPDATE in the caller's transaction; both checksums come from a SQL function over the
    /// row's values, so no row crosses into .NET but as the function's arguments and memory does not
    /// grow with the table. The function is registered on <paramref name="db"/> for the statement only.
    /// </summary>
    public static void ResealVerified(SqliteConnection db, SqliteTransaction tx, RowTable table, int verifiedColumns)
    {
        const string Function = "winreflink_row_crc";
        var checksums = new RowChecksums();
        db.CreateFunction(Function, (object?[] values) => checksums.Of(table.Name, values), isDeterministic: true);
        try
        {
            using var update = db.CreateCommand();
            update.Transaction = tx;
            update.CommandText = $"""
                UPDATE {table.Name} SET crc = {Function}({string.Join(", ", table.Columns)})
                WHERE crc = {Function}({string.Join(", ", table.Columns.Take(verifiedColumns))})
                """;
            update.ExecuteNonQuery();
        }
        finally
        {
            // The variadic registration (any number of arguments), removed the way it was made.
            db.CreateFunction(Function, (Func<object?[], long>?)null);
        }
    }

    /// <summary>Reseals a closed volume's meta.db (tests use it to plant damage the checksums do not see).</summary>
    public static void ResealAll(string metaDb)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Pooling = false }.ToString());
        db.Open();
        using var tx = db.BeginTransaction();
        ResealAll(db, tx);
        tx.Commit();
    }
}
