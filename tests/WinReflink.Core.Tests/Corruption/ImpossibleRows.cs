using System.Globalization;
using static WinReflink.Core.Tests.Corruption.VolumeDamage;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// Rows of meta.db given values no committed volume has: each mutation picks its row with the seeded
/// random, changes it with SQL and says what it did. The flag says whether the damage breaks a checked
/// invariant by itself (so it must be found even when the row checksums are recomputed afterwards).
/// </summary>
internal static class ImpossibleRows
{
    private static readonly (string Name, Func<string, Random, (string What, bool Detectable)> Apply)[] Mutations =
    [
        ("overlapping extents in a file", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT ino FROM extents GROUP BY ino HAVING COUNT(*) >= 2"));
            Sql(m, Inv($"UPDATE extents SET length = length + 60 WHERE ino = {ino} AND logical = (SELECT MIN(logical) FROM extents WHERE ino = {ino})"));
            return ($"first extent of inode {ino} lengthened over its second", true);
        }),
        ("two files map the same blocks", (m, r) =>
        {
            var inos = Longs(m, "SELECT DISTINCT ino FROM extents");
            long a = Pick(r, inos), b = Pick(r, inos.Where(i => i != a).ToList());
            Sql(m, Inv($"UPDATE extents SET physical = (SELECT MIN(physical) FROM extents WHERE ino = {a}) WHERE ino = {b} AND logical = (SELECT MIN(logical) FROM extents WHERE ino = {b})"));
            return ($"inode {b} remapped onto inode {a}'s blocks", true);
        }),
        ("wrong reference count", (m, r) =>
        {
            long start = Pick(r, Longs(m, "SELECT start FROM shared"));
            long refs = r.Next(3) switch { 0 => 3, 1 => 1, _ => long.MaxValue };
            Sql(m, Inv($"UPDATE shared SET refs = {refs} WHERE start = {start}"));
            return ($"shared row at {start} given refs {refs}", true);
        }),
        ("directory entry to nowhere", (m, r) =>
        {
            long cookie = Pick(r, Longs(m, "SELECT cookie FROM dirents"));
            Sql(m, Inv($"UPDATE dirents SET ino = 987654 WHERE (parent, key) IN (SELECT parent, key FROM dirents WHERE cookie = {cookie} LIMIT 1)"));
            return ($"an entry with cookie {cookie} points at inode 987654", true);
        }),
        ("cycle in the tree", (m, r) =>
        {
            var dirs = Longs(m, "SELECT ino FROM inodes WHERE mode & 61440 = 16384 AND ino != 1 ORDER BY ino");
            long deepest = dirs[^1], top = dirs[0];
            if (r.Next(2) == 0)
            {
                // Docs/Nested/Deeper/loop names Docs again.
                Sql(m, Inv($"INSERT INTO dirents(parent, key, name, ino, cookie) VALUES ({deepest}, 'LOOP', 'loop', {top}, 999)"));
                return ($"directory {deepest} gets an entry naming its ancestor {top}", true);
            }
            // Detach Docs from the root and let its deepest descendant name it: a cycle nobody reaches.
            Sql(m, Inv($"UPDATE dirents SET parent = {deepest}, key = 'LOOP', name = 'loop' WHERE parent = 1 AND ino = {top}"));
            return ($"directory {top} moved under its own descendant {deepest}", true);
        }),
        ("size past the maximum", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT ino FROM inodes WHERE mode & 61440 = 32768"));
            long size = r.Next(3) switch { 0 => (1L << 50) + 1, 1 => long.MaxValue, _ => -5 };
            Sql(m, Inv($"UPDATE inodes SET size = {size} WHERE ino = {ino}"));
            return ($"inode {ino} given size {size}", true);
        }),
        ("negative length", (m, r) =>
        {
            string[] tables = ["extents", "free", "shared"];
            string table = tables[r.Next(tables.Length)];
            long length = r.Next(2) == 0 ? -1 : long.MinValue;
            Sql(m, Inv($"UPDATE {table} SET length = {length} WHERE ({Key(table)}) IN (SELECT {Key(table)} FROM {table} LIMIT 1)"));
            return ($"a {table} row given length {length}", true);
        }),
        ("extent past capacity", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT DISTINCT ino FROM extents"));
            long physical = r.Next(3) switch { 0 => 1023, 1 => long.MaxValue - 1, _ => -7 };
            Sql(m, Inv($"UPDATE extents SET physical = {physical} WHERE ino = {ino} AND logical = (SELECT MIN(logical) FROM extents WHERE ino = {ino})"));
            return ($"first extent of inode {ino} moved to physical block {physical}", true);
        }),
        ("unknown mode", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT ino FROM inodes"));
            long mode = r.Next(3) switch { 0 => 0, 1 => 0xF1A4, _ => -1 };
            Sql(m, Inv($"UPDATE inodes SET mode = {mode} WHERE ino = {ino}"));
            return ($"inode {ino} given mode {mode}", true);
        }),
        ("nlink 0 without an orphan record", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT ino FROM inodes WHERE mode & 61440 = 32768 AND nlink > 0"));
            Sql(m, Inv($"UPDATE inodes SET nlink = 0 WHERE ino = {ino}"));
            return ($"named inode {ino} given nlink 0", true);
        }),
        ("names differing only in case", (m, r) =>
        {
            long cookie = Pick(r, Longs(m, "SELECT cookie FROM dirents WHERE name GLOB '*[A-Z]*'"));
            Sql(m, Inv($"INSERT INTO dirents(parent, key, name, ino, cookie) SELECT parent, lower(key), lower(name), ino, 5000 FROM dirents WHERE cookie = {cookie} LIMIT 1"));
            return ($"a lower-case twin of the entry with cookie {cookie}", true);
        }),
        ("settings garbage", (m, r) =>
        {
            string[] keys = ["format_version", "block_size", "capacity_blocks", "case_sensitive", "serial", "next_ino", "next_generation"];
            string[] values = ["", "abc", "-1", "0", "99999999999999999999", "4294971392", "9223372036854775807", "1e3", " 7"];
            string key = keys[r.Next(keys.Length)];
            string current = Texts(m, $"SELECT value FROM settings WHERE key = '{key}'")[0];
            var different = values.Where(v => v != current).ToArray();
            string value = different[r.Next(different.Length)];
            Sql(m, $"UPDATE settings SET value = '{value}' WHERE key = '{key}'");
            // Values a volume could really have: with the checksum recomputed, nothing can tell them from the truth.
            bool plausible = key switch
            {
                "serial" => value == "0",
                "case_sensitive" => value is "0" or "1",
                "next_ino" => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1000,
                "next_generation" => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
                _ => false,
            };
            return ($"setting {key} = '{value}' (was '{current}')", !plausible);
        }),
        ("orphan record to nowhere", (m, _) =>
        {
            Sql(m, "INSERT INTO orphans(ino) VALUES (555555)");
            return ("orphan record for inode 555555", true);
        }),
        ("free space over mapped blocks", (m, r) =>
        {
            long physical = Pick(r, Longs(m, "SELECT physical FROM extents"));
            Sql(m, Inv($"INSERT OR REPLACE INTO free(start, length) VALUES ({physical}, 2)"));
            return ($"blocks {physical}..{physical + 1} marked free while mapped", true);
        }),
        ("directory with the wrong parent", (m, r) =>
        {
            long ino = Pick(r, Longs(m, "SELECT ino FROM inodes WHERE mode & 61440 = 16384 AND ino != 1"));
            Sql(m, Inv($"UPDATE inodes SET parent = 424242 WHERE ino = {ino}"));
            return ($"directory {ino} given parent 424242", true);
        }),
        ("inode numbers past next_ino", (m, _) =>
        {
            Sql(m, "UPDATE settings SET value = '2' WHERE key = 'next_ino'");
            return ("next_ino set to 2", true);
        }),
        ("duplicate readdir cookies", (m, r) =>
        {
            long dir = Pick(r, Longs(m, "SELECT parent FROM dirents GROUP BY parent HAVING COUNT(*) >= 2"));
            Sql(m, Inv($"UPDATE dirents SET cookie = 1 WHERE parent = {dir}"));
            return ($"every entry of directory {dir} given cookie 1", true);
        }),
        ("symlink without a target", (m, _) =>
        {
            Sql(m, "UPDATE inodes SET symlink = NULL WHERE mode & 61440 = 40960");
            return ("symbolic link target removed", true);
        }),
        ("missing security descriptor", (m, _) =>
        {
            Sql(m, "DELETE FROM security");
            return ("security descriptors deleted", true);
        }),
        ("row deleted", (m, r) =>
        {
            string[] tables = ["inodes", "dirents", "extents", "shared", "free", "orphans"];
            string table = tables[r.Next(tables.Length)];
            long rows = Longs(m, $"SELECT COUNT(*) FROM {table}")[0];
            int n = Sql(m, Inv($"DELETE FROM {table} WHERE ({Key(table)}) IN (SELECT {Key(table)} FROM {table} LIMIT 1 OFFSET {r.NextInt64(Math.Max(1, rows))})"));
            return ($"{n} row of {table} deleted", n > 0);
        }),
        ("extreme value in a column", (m, r) =>
        {
            (string Table, string[] Columns)[] tables =
            [
                ("inodes", ["mode", "nlink", "size", "parent", "next_cookie", "secid", "atime"]),
                ("dirents", ["ino", "cookie"]),
                ("extents", ["physical", "length", "unwritten"]),
                ("shared", ["length", "refs"]),
                ("free", ["length"]),
            ];
            var (table, columns) = tables[r.Next(tables.Length)];
            string column = columns[r.Next(columns.Length)];
            string value = r.Next(5) switch { 0 => "9223372036854775807", 1 => "-9223372036854775808", 2 => "-1", 3 => "'text'", _ => "x'00ff'" };
            long offset = r.NextInt64(Math.Max(1, Longs(m, $"SELECT COUNT(*) FROM {table}")[0]));
            Sql(m, Inv($"UPDATE {table} SET {column} = {value} WHERE ({Key(table)}) IN (SELECT {Key(table)} FROM {table} LIMIT 1 OFFSET {offset})"));
            return ($"{table}.{column} of row {offset} set to {value}", false);
        }),
    ];

    public static (string What, bool Detectable) Apply(string metaDb, Random random)
    {
        var (name, apply) = Mutations[random.Next(Mutations.Length)];
        var (what, detectable) = apply(metaDb, random);
        return ($"{name}: {what}", detectable);
    }

    /// <summary>The primary key of a table, as the columns of a row value.</summary>
    private static string Key(string table) => table switch
    {
        "dirents" => "parent, key",
        "extents" => "ino, logical",
        "shared" or "free" => "start",
        _ => "ino",
    };

    private static long Pick(Random random, List<long> values)
    {
        Assert.That(values, Is.Not.Empty, "the pristine volume has a row to damage");
        return values[random.Next(values.Count)];
    }
}
