using System.Globalization;
using Microsoft.Data.Sqlite;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>The kinds of damage the corruption tests inflict on a copy of a real volume.</summary>
internal enum DamageKind
{
    MetaBitFlips,
    MetaZeroPage,
    MetaTruncate,
    DataBitFlips,
    DataZeroPage,
    DataTruncate,
    /// <summary>A row given an impossible value (checksums left stale, so the row checksum should see it).</summary>
    ImpossibleRow,
    /// <summary>The same, with the row checksums recomputed afterwards: only validation of the values can see it.</summary>
    ImpossibleRowResealed,
}

/// <summary>One damage applied to a volume folder: its kind and a line saying exactly what was done.</summary>
internal sealed record AppliedDamage(DamageKind Kind, string What, bool MustBeDetected);

/// <summary>
/// Seeded damage: the same seed always damages the same bytes or rows, so a failing case is
/// reproduced by its seed alone.
/// </summary>
internal static class VolumeDamage
{
    private const int Page = 4096;

    public static AppliedDamage Apply(string folder, DamageKind kind, Random random)
    {
        string meta = Path.Combine(folder, "meta.db");
        string data = Path.Combine(folder, "data.img");
        switch (kind)
        {
            case DamageKind.MetaBitFlips:
                return new(kind, FlipBits(meta, random, 0), false);
            case DamageKind.MetaZeroPage:
            {
                long pages = new FileInfo(meta).Length / Page;
                long page = random.NextInt64(0, pages);
                Overwrite(meta, page * Page, new byte[Page]);
                // The first page holds the header and the schema: zeroing it always shows.
                return new(kind, $"meta.db page {page} zeroed", page == 0);
            }
            case DamageKind.MetaTruncate:
            {
                long length = random.NextInt64(0, new FileInfo(meta).Length);
                // SQLite reads a short last page as zero-filled, so cutting only zeros (the unused
                // end of an empty table's page) loses nothing and cannot be seen.
                bool cutsData = File.ReadAllBytes(meta).AsSpan((int)length).IndexOfAnyExcept((byte)0) >= 0;
                Truncate(meta, length);
                return new(kind, $"meta.db truncated to {length} bytes", cutsData);
            }
            case DamageKind.DataBitFlips:
                return new(kind, FlipBits(data, random, 0), false);
            case DamageKind.DataZeroPage:
            {
                long blocks = new FileInfo(data).Length / Page;
                long block = random.NextInt64(0, Math.Min(blocks, 400));
                Overwrite(data, block * Page, new byte[Page]);
                return new(kind, $"data.img block {block} zeroed", false);
            }
            case DamageKind.DataTruncate:
            {
                long length = random.NextInt64(0, new FileInfo(data).Length);
                Truncate(data, length);
                return new(kind, $"data.img truncated to {length} bytes", true);
            }
            default:
            {
                var (what, detectable) = ImpossibleRows.Apply(meta, random);
                if (kind == DamageKind.ImpossibleRowResealed)
                {
                    Metadata.RowChecksums.ResealAll(meta);
                }
                return new(kind, what, kind == DamageKind.ImpossibleRow || detectable);
            }
        }
    }

    private static string FlipBits(string path, Random random, long from)
    {
        long length = new FileInfo(path).Length;
        int count = random.Next(1, 9);
        var flipped = new List<string>();
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        for (int i = 0; i < count; i++)
        {
            long offset = random.NextInt64(from, Math.Min(length, from + 2L * 1024 * 1024));
            int bit = random.Next(8);
            f.Position = offset;
            int b = f.ReadByte();
            f.Position = offset;
            f.WriteByte((byte)(b ^ (1 << bit)));
            flipped.Add($"{offset}.{bit}");
        }
        return $"{Path.GetFileName(path)} bits flipped at {string.Join(' ', flipped)}";
    }

    private static void Overwrite(string path, long offset, byte[] bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }

    private static void Truncate(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.SetLength(length);
    }

    /// <summary>Runs SQL against a closed volume's meta.db; returns the number of rows changed.</summary>
    public static int Sql(string metaDb, string sql)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Makes a closed volume's rows what format versions before 6 wrote: inodes without the mapped
    /// block count and dirents without the entry's type, each row sealed (when the volume has
    /// checksums) over the columns it keeps, by the engine's own checksum as a SQL function. The
    /// format version is the caller's to set.
    /// </summary>
    public static void WithoutVersion6Columns(string metaDb)
    {
        Sql(metaDb, "ALTER TABLE inodes DROP COLUMN blocks; ALTER TABLE dirents DROP COLUMN type");
        if (Longs(metaDb, "SELECT count(*) FROM pragma_table_info('inodes') WHERE name = 'crc'")[0] == 0)
        {
            return;
        }
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Pooling = false }.ToString());
        db.Open();
        var checksums = new Metadata.RowChecksums();
        db.CreateFunction("seal", (object?[] values) => checksums.Of((string)values[0]!, values.AsSpan(1)));
        using var cmd = db.CreateCommand();
        var inodes = Metadata.RowChecksums.Table("inodes").Columns[..Metadata.StoredRows.BlocksColumn];
        var dirents = Metadata.RowChecksums.Table("dirents").Columns[..Metadata.StoredRows.DirentTypeColumn];
        cmd.CommandText = $"""
            UPDATE inodes SET crc = seal('inodes', {string.Join(", ", inodes)});
            UPDATE dirents SET crc = seal('dirents', {string.Join(", ", dirents)});
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Changes the second column of one entry of <paramref name="index"/> in the file itself, as a bit
    /// flip in an index page would: the page stays well formed and every table row keeps its checksum,
    /// so only SQLite's integrity check sees it ("row N missing from index"). The index must fit its
    /// root page (a leaf), as it does on a small volume.
    /// </summary>
    public static void MisplaceIndexEntry(string metaDb, string index)
    {
        Sql(metaDb, "PRAGMA wal_checkpoint(TRUNCATE)");
        int pageSize = (int)Longs(metaDb, "PRAGMA page_size")[0];
        long root = Longs(metaDb, Inv($"SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = '{index}'"))[0];
        var page = new byte[pageSize];
        long pageStart = (root - 1) * pageSize;
        using var f = new FileStream(metaDb, FileMode.Open, FileAccess.ReadWrite);
        f.Position = pageStart;
        f.ReadExactly(page);
        int header = root == 1 ? 100 : 0;
        Assert.That(page[header], Is.EqualTo(0x0A), $"{index} should be one leaf page on a small volume");
        int cells = (page[header + 3] << 8) | page[header + 4];
        for (int c = 0; c < cells; c++)
        {
            int at = (page[header + 8 + 2 * c] << 8) | page[header + 9 + 2 * c];
            ReadVarint(page, ref at); // the payload's size
            int recordStart = at;
            int headerEnd = recordStart + (int)ReadVarint(page, ref at);
            long first = ReadVarint(page, ref at), second = ReadVarint(page, ref at);
            if (second is < 1 or > 6)
            {
                continue;
            }
            int value = headerEnd + SerialLength(first) + SerialLength(second) - 1;
            page[value] ^= 1;
            f.Position = pageStart;
            f.Write(page);
            return;
        }
        throw new AssertionException($"no entry of {index} keeps its second column in bytes");
    }

    private static long ReadVarint(byte[] b, ref int at)
    {
        long v = 0;
        for (int i = 0; i < 9; i++)
        {
            byte x = b[at++];
            if (i == 8)
            {
                return (v << 8) | x;
            }
            v = (v << 7) | (long)(x & 0x7F);
            if ((x & 0x80) == 0)
            {
                break;
            }
        }
        return v;
    }

    /// <summary>Bytes a record value of SQLite serial type <paramref name="type"/> takes.</summary>
    private static int SerialLength(long type) => type switch
    {
        0 or 8 or 9 => 0,
        >= 1 and <= 4 => (int)type,
        5 => 6,
        6 or 7 => 8,
        _ => (int)((type - (type % 2 == 0 ? 12 : 13)) / 2),
    };

    public static List<long> Longs(string metaDb, string sql)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var result = new List<long>();
        while (r.Read())
        {
            result.Add(r.GetInt64(0));
        }
        return result;
    }

    public static List<string> Texts(string metaDb, string sql)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var result = new List<string>();
        while (r.Read())
        {
            result.Add(r.GetString(0));
        }
        return result;
    }

    public static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
