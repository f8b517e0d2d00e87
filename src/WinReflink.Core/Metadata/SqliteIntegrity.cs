using System.Globalization;
using Microsoft.Data.Sqlite;

namespace WinReflink.Core.Metadata;

/// <summary>
/// SQLite's own verdict on meta.db's structure (pages, b-trees, indexes agreeing with their tables),
/// which row checksums cannot give. It reads the whole file, so `check` runs it and open does not:
/// open's time must not grow with the volume (issue 11), and a damaged page is found anyway when a
/// load reads it.
/// </summary>
internal static class SqliteIntegrity
{
    /// <summary>What `PRAGMA integrity_check` reports, on one line and shortened; null when it says ok. Within <paramref name="transaction"/>, it sees that transaction's changes.</summary>
    public static string? Problem(SqliteConnection db, SqliteTransaction? transaction = null)
    {
        var lines = new List<string>();
        try
        {
            using var cmd = db.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = "PRAGMA integrity_check(20)";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                lines.Add(Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture) ?? "");
            }
        }
        catch (SqliteException e)
        {
            // Damage bad enough that the check itself cannot read the file (a zeroed b-tree page).
            lines.Add(e.Message);
        }
        if (lines is ["ok"])
        {
            return null;
        }
        string report = string.Join(' ', lines).ReplaceLineEndings(" ");
        return report.Length > 200 ? report[..200] + "..." : report;
    }

    /// <summary>The violation `check` reports for <see cref="Problem"/>'s answer.</summary>
    public static Check.Violation Violation(string problem) =>
        new(9, $"meta.db fails SQLite's integrity check: {problem}", null, null, "ok", "damaged");
}
