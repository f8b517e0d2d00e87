using WinReflink.Core.Check;
using WinReflink.Core.Metadata;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Check;

/// <summary>
/// Runs the loaded check (<see cref="VolumeChecker"/> over <see cref="MetadataStore.LoadState"/>) and
/// the stored one (<see cref="StoredVolumeChecker"/>) on one closed volume folder, and says where
/// their findings differ as (invariant, what, inode) multisets. The loaded check's "security descriptor
/// used by no inode" is left out: the stored check does not report it, by design.
/// </summary>
internal static class StoredCheckComparison
{
    /// <summary>Null when both agree, or when the load refuses the volume (there is nothing to compare); else the difference.</summary>
    public static string? Difference(string folder)
    {
        string metaDb = Path.Combine(folder, "meta.db");
        VolumeSettings settings;
        IReadOnlyList<Violation> loaded;
        try
        {
            using var store = MetadataStore.Open(metaDb, readOnly: true);
            settings = store.LoadSettings(metaDb);
            var state = store.LoadState(settings, metaDb, loader: null);
            loaded = new VolumeChecker(state, settings.BlockSize, DataReader(folder, settings.BlockSize)).Run();
        }
        catch (VolumeException)
        {
            return null;
        }
        // A database SQLite finds damaged (an index that disagrees with its table, a zeroed page) reads
        // differently by each checker's queries; what both report then is SQLite's verdict.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={metaDb};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            if (SqliteIntegrity.Problem(db) != null)
            {
                return null;
            }
        }
        IReadOnlyList<Violation> stored;
        try
        {
            stored = StoredVolumeChecker.Run(metaDb, settings, DataReader(folder, settings.BlockSize), null);
        }
        catch (VolumeException e)
        {
            return $"the load read the volume, the stored check refused it: {e.Message}";
        }

        var expected = Keys(loaded.Where(v => !v.What.StartsWith("security descriptor ", StringComparison.Ordinal) || v.What.EndsWith("does not exist", StringComparison.Ordinal)));
        var actual = Keys(stored);
        var missing = Except(expected, actual);
        var extra = Except(actual, expected);
        return missing.Count == 0 && extra.Count == 0
            ? null
            : $"only the loaded check: [{string.Join("; ", missing)}]; only the stored check: [{string.Join("; ", extra)}]";
    }

    /// <summary>Reads data.img as the check's block reader does (past its end: zeros).</summary>
    public static VolumeChecker.ReadBlock DataReader(string folder, int blockSize) => (physical, block) =>
    {
        block.Clear();
        using var data = new FileStream(Path.Combine(folder, "data.img"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        data.Position = physical * blockSize;
        data.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
    };

    private static List<string> Keys(IEnumerable<Violation> violations) =>
        violations.Select(v => $"{v.Invariant}|{v.What}|{v.Ino}").Order(StringComparer.Ordinal).ToList();

    /// <summary>The items of <paramref name="a"/> not matched one for one in <paramref name="b"/>.</summary>
    private static List<string> Except(List<string> a, List<string> b)
    {
        var left = b.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<string>();
        foreach (string x in a)
        {
            if (left.TryGetValue(x, out int n) && n > 0)
            {
                left[x] = n - 1;
            }
            else
            {
                result.Add(x);
            }
        }
        return result;
    }
}
