using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using WinReflink.Core.Check;
using WinReflink.Core.Metadata;

namespace WinReflink.Core.Tests.Check;

/// <summary>
/// Time and peak memory of one way of checking a closed volume (WINREFLINK_CHECK_VOLUME, e.g. one
/// built by `WinReflink.Bench scale-build`), run one way per process so that the process's peak
/// resident memory (VmHWM) belongs to that way alone:
///   WINREFLINK_CHECK_WAY=stored  StoredVolumeChecker (with the zero-tail reads; stored-metadata without them)
///   WINREFLINK_CHECK_WAY=loaded  MetadataStore.LoadState then VolumeChecker, as `check` did
///   WINREFLINK_CHECK_WAY=sort-external / sort-sqlite  the coverage sort alone, by ExternalSort
///     (WINREFLINK_CHECK_RUN pairs per run) or by SQLite's sorter (ORDER BY, temp_store=FILE, 8 MiB cache)
/// </summary>
[Explicit("a measurement: needs WINREFLINK_CHECK_VOLUME and WINREFLINK_CHECK_WAY")]
public class StoredCheckMeasurement
{
    [Test]
    public void MeasureOneWayOfChecking()
    {
        string folder = Environment.GetEnvironmentVariable("WINREFLINK_CHECK_VOLUME") ?? throw new InvalidOperationException("set WINREFLINK_CHECK_VOLUME");
        string way = Environment.GetEnvironmentVariable("WINREFLINK_CHECK_WAY") ?? "stored";
        int run = int.Parse(Environment.GetEnvironmentVariable("WINREFLINK_CHECK_RUN") ?? "1048576", CultureInfo.InvariantCulture);
        string metaDb = Path.Combine(folder, "meta.db");
        Volume.VolumeSettings settings;
        using (var store = MetadataStore.Open(metaDb, readOnly: true))
        {
            settings = store.LoadSettings(metaDb);
        }
        long before = PeakResidentKiB();
        using var data = File.OpenHandle(Path.Combine(folder, "data.img"));
        VolumeChecker.ReadBlock read = (physical, block) =>
        {
            block.Clear();
            RandomAccess.Read(data, block, physical * settings.BlockSize);
        };
        var watch = Stopwatch.StartNew();
        string outcome = way switch
        {
            "stored" => $"{StoredVolumeChecker.Run(metaDb, settings, read, null).Count} violations",
            "stored-metadata" => $"{StoredVolumeChecker.Run(metaDb, settings, null, null).Count} violations",
            "loaded" => $"{Loaded(metaDb, settings, read)} violations",
            "sort-external" => $"{SortExternal(metaDb, run, out long held)} segments, at most {held} pairs held",
            "sort-sqlite" => $"{SortSqlite(metaDb)} segments",
            _ => throw new InvalidOperationException($"unknown way {way}"),
        };
        TestContext.Out.WriteLine($"{way} on {folder}: {outcome} in {watch.ElapsedMilliseconds} ms; peak resident {before >> 10} MiB before, {PeakResidentKiB() >> 10} MiB after");
    }

    private static int Loaded(string metaDb, Volume.VolumeSettings settings, VolumeChecker.ReadBlock read)
    {
        using var store = MetadataStore.Open(metaDb, readOnly: true);
        var state = store.LoadState(settings, metaDb, loader: null);
        return new VolumeChecker(state, settings.BlockSize, read).Run().Count;
    }

    private static long SortExternal(string metaDb, int run, out long held)
    {
        using var db = Connect(metaDb);
        using var sort = new ExternalSort(run, Path.GetTempPath());
        using (var r = RowReader.Open(db, "SELECT physical, length FROM extents"))
        {
            while (r.Read())
            {
                sort.Add(r.GetInt64(0), 1);
                sort.Add(r.GetInt64(0) + r.GetInt64(1), -1);
            }
        }
        long segments = Segments(sort.Sorted());
        held = sort.PeakRowsHeld;
        return segments;
    }

    private static long SortSqlite(string metaDb)
    {
        using var db = Connect(metaDb);
        using (var pragma = db.CreateCommand())
        {
            pragma.CommandText = "PRAGMA temp_store = FILE; PRAGMA cache_size = -8192;";
            pragma.ExecuteNonQuery();
        }
        using var r = RowReader.Open(db, "SELECT pos, delta FROM (SELECT physical AS pos, 1 AS delta FROM extents UNION ALL SELECT physical + length, -1 FROM extents) ORDER BY pos");
        return Segments(Rows(r));
    }

    private static IEnumerable<(long Key, long Value)> Rows(RowReader r)
    {
        while (r.Read())
        {
            yield return (r.GetInt64(0), r.GetInt64(1));
        }
    }

    /// <summary>Distinct positions where the coverage count changes: the work the sweeps do per pair, so both ways are consumed alike.</summary>
    private static long Segments(IEnumerable<(long Key, long Value)> sorted)
    {
        long segments = 0, count = 0, last = long.MinValue;
        foreach (var (key, delta) in sorted)
        {
            segments += key != last && count > 0 ? 1 : 0;
            last = key;
            count += delta;
        }
        return segments;
    }

    private static SqliteConnection Connect(string metaDb)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        return db;
    }

    private static long PeakResidentKiB()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line == null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
