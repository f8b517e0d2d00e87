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
/// </summary>
internal sealed class RowChecksums
{
    public static readonly RowTable[] Tables =
    [
        new("settings", ["key", "value"], 1),
        new("inodes", ["ino", "mode", "nlink", "uid", "gid", "rdev", "size", "atime", "mtime", "ctime", "btime", "winattrs", "secid", "generation", "parent", "symlink", "next_cookie"], 1),
        new("dirents", ["parent", "key", "name", "ino", "cookie"], 2),
        new("extents", ["ino", "logical", "physical", "length", "unwritten"], 2),
        new("shared", ["start", "length", "refs"], 1),
        new("free", ["start", "length"], 1),
        new("xattrs", ["ino", "name", "value"], 2),
        new("security", ["id", "descriptor"], 1),
        new("orphans", ["ino"], 1),
    ];

    private readonly XxHash3 _hash = new();

    /// <summary>
    /// The checksum of the first <paramref name="columns"/> values of the reader's current row. Loads
    /// verify every row they read, so this lays the row's bytes out in one buffer straight from
    /// SQLite's column values (no boxed value, no string) and hashes it once; the bytes, and so the
    /// checksum, are those the streaming appends below give.
    /// </summary>
    public long Of(string table, RowReader row, int columns)
    {
        _row.ResetWrittenCount();
        Put(_row, table);
        for (int i = 0; i < columns; i++)
        {
            switch (row.ColumnType(i))
            {
                case SQLitePCL.raw.SQLITE_INTEGER:
                    Put(_row, row.RawInt64(i), 1);
                    break;
                case SQLitePCL.raw.SQLITE_FLOAT:
                    Put(_row, BitConverter.DoubleToInt64Bits(row.RawDouble(i)), 4);
                    break;
                case SQLitePCL.raw.SQLITE_TEXT:
                    PutUtf8(_row, row.RawUtf8(i));
                    break;
                case SQLitePCL.raw.SQLITE_BLOB:
                    var blob = row.RawBlob(i);
                    PutHeader(_row, 3, blob.Length);
                    _row.Write(blob);
                    break;
                default:
                    _row.Write<byte>([0]);
                    break;
            }
        }
        return (long)XxHash3.HashToUInt64(_row.WrittenSpan);
    }

    /// <summary>The row being laid out by <see cref="Of(string, RowReader, int)"/>; reused, so an instance serves one thread.</summary>
    private readonly ArrayBufferWriter<byte> _row = new(256);

    private static void PutHeader(ArrayBufferWriter<byte> into, byte tag, int length)
    {
        var span = into.GetSpan(5);
        span[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], length);
        into.Advance(5);
    }

    private static void Put(ArrayBufferWriter<byte> into, long value, byte tag)
    {
        var span = into.GetSpan(9);
        span[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], value);
        into.Advance(9);
    }

    /// <summary>Text as the streaming form hashes it: its length in UTF-16 units, then UTF-16LE.</summary>
    private static void Put(ArrayBufferWriter<byte> into, string value)
    {
        PutHeader(into, 2, value.Length);
        into.Write(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    private static void PutUtf8(ArrayBufferWriter<byte> into, ReadOnlySpan<byte> utf8)
    {
        int units = System.Text.Encoding.UTF8.GetCharCount(utf8);
        PutHeader(into, 2, units);
        var chars = MemoryMarshal.Cast<byte, char>(into.GetSpan(units * 2));
        System.Text.Encoding.UTF8.GetChars(utf8, chars);
        into.Advance(units * 2);
    }

    /// <summary>The same, for ADO.NET readers (the settings and the reseal read through them).</summary>
    public long Of(string table, SqliteDataReader row, int columns)
    {
        Begin(table);
        for (int i = 0; i < columns; i++)
        {
            AppendValue(row.GetValue(i));
        }
        return Finish();
    }

    /// <summary>The checksum of the values bound to a row's INSERT, all parameters but the last (the crc itself).</summary>
    public long Of(string table, SqliteParameterCollection parameters)
    {
        Begin(table);
        for (int i = 0; i < parameters.Count - 1; i++)
        {
            AppendValue(parameters[i].Value);
        }
        return Finish();
    }

    private void AppendValue(object? value)
    {
        switch (value)
        {
            case null or DBNull:
                AppendNull();
                break;
            case long l:
                Append(l);
                break;
            case string s:
                Append(s);
                break;
            case double d:
                Append(BitConverter.DoubleToInt64Bits(d), tag: 4);
                break;
            case byte[] b:
                Append(b);
                break;
            case var other:
                // Every engine binding is a long, string or byte[]; anything else would be stored as an integer.
                Append(Convert.ToInt64(other, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    private void Begin(string table)
    {
        _hash.Reset();
        Append(table);
    }

    private long Finish() => (long)_hash.GetCurrentHashAsUInt64();

    private void AppendNull()
    {
        ReadOnlySpan<byte> tag = [0];
        _hash.Append(tag);
    }

    private void Append(long value, byte tag = 1)
    {
        Span<byte> bytes = stackalloc byte[9];
        bytes[0] = tag;
        BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], value);
        _hash.Append(bytes);
    }

    private void Append(string value)
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = 2;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], value.Length);
        _hash.Append(header);
        _hash.Append(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    private void Append(byte[] value)
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = 3;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], value.Length);
        _hash.Append(header);
        _hash.Append(value);
    }

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
