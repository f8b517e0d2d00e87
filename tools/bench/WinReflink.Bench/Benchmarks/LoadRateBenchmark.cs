using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using WinReflink.Bench.Reporting;
using WinReflink.Core.Metadata;
using WinReflink.Core.Volume;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// What loading an inode from meta.db costs (issue 11: a cold `find` or `stat` through the mount is
/// that load, once per inode): <see cref="InodeLoader.Load"/> of random inodes one at a time, and
/// <see cref="InodeLoader.LoadMany"/> of batches of <see cref="InodeLoader.BatchSize"/>, both random
/// numbers and runs of consecutive ones (a directory's children, as a READDIRPLUS page loads them).
/// Each round opens a fresh loader (SQLite's page cache empty) and draws fresh numbers; meta.db is read
/// through once first so that the OS's cache holds it (this measures the loader, not the disk); the modes alternate their order from round to round and the medians are reported.
/// Reports wall time and the process's CPU time per inode: on a shared machine the CPU time is the
/// steadier figure. Opens meta.db read-only beside whatever has the volume; reports, asserts nothing.
/// </summary>
internal static class LoadRateBenchmark
{
    public static int Run(string volume, int inodes, int rounds, bool json)
    {
        string metaDb = new VolumeLayout(volume).MetaDb;
        var (maxIno, version) = Describe(metaDb);
        WarmFileCache(metaDb);
        var modes = new (string Key, string Label, Func<InodeLoader, Random, int, int> Run)[]
        {
            ("single_us", "Load, one random inode at a time", (l, r, n) => Single(l, r, n, maxIno)),
            ("batch_random_us", $"LoadMany, {InodeLoader.BatchSize} random inodes a batch", (l, r, n) => Batches(l, r, n, maxIno, consecutive: false)),
            ("batch_run_us", $"LoadMany, {InodeLoader.BatchSize} consecutive inodes a batch", (l, r, n) => Batches(l, r, n, maxIno, consecutive: true)),
        };
        var samples = modes.Select(_ => new List<double>()).ToArray();
        var cpuSamples = modes.Select(_ => new List<double>()).ToArray();
        using var process = Process.GetCurrentProcess();
        for (int round = 0; round < rounds; round++)
        {
            for (int step = 0; step < modes.Length; step++)
            {
                int m = round % 2 == 0 ? step : modes.Length - 1 - step;
                using var loader = new InodeLoader(metaDb, version);
                var random = new Random(round * modes.Length + m);
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                int loaded = modes[m].Run(loader, random, inodes);
                watch.Stop();
                process.Refresh();
                samples[m].Add(watch.Elapsed.TotalMicroseconds / loaded);
                cpuSamples[m].Add((process.TotalProcessorTime - cpu).TotalMicroseconds / loaded);
            }
        }
        if (json)
        {
            var root = new JsonObject { ["volume"] = volume, ["inodes"] = maxIno, ["per_round"] = inodes, ["rounds"] = rounds };
            for (int m = 0; m < modes.Length; m++)
            {
                root[modes[m].Key] = Math.Round(Stats.Median(samples[m]), 3);
                root[modes[m].Key + "_rounds"] = Format.Array(samples[m]);
                root[modes[m].Key.Replace("_us", "_cpu_us", StringComparison.Ordinal)] = Math.Round(Stats.Median(cpuSamples[m]), 3);
            }
            Console.WriteLine(root.ToJsonString());
        }
        else
        {
            Console.WriteLine($"inode loads from {metaDb} ({maxIno} inodes, {inodes} a round, medians of {rounds} rounds)");
            for (int m = 0; m < modes.Length; m++)
            {
                Console.WriteLine($"  {modes[m].Label,-50} {Format.Number(Stats.Median(samples[m])),8} us/inode, {Format.Number(Stats.Median(cpuSamples[m])),8} us CPU");
            }
        }
        return 0;
    }

    /// <summary>The highest inode number and the format version (which columns the rows have).</summary>
    private static (long MaxIno, int Version) Describe(string metaDb)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = metaDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT (SELECT max(ino) FROM inodes), (SELECT value FROM settings WHERE key = 'format_version')";
        using var r = command.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void WarmFileCache(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var buffer = new byte[1 << 20];
        while (file.Read(buffer) > 0)
        {
        }
    }

    private static int Single(InodeLoader loader, Random random, int inodes, long maxIno)
    {
        int loaded = 0;
        for (int i = 0; i < inodes; i++)
        {
            // Numbers freed by deletes have no row; those loads cost a query too, but load nothing.
            if (loader.Load(random.NextInt64(1, maxIno + 1)) != null)
            {
                loaded++;
            }
        }
        return loaded;
    }

    private static int Batches(InodeLoader loader, Random random, int inodes, long maxIno, bool consecutive)
    {
        var batch = new long[InodeLoader.BatchSize];
        int loaded = 0;
        for (int done = 0; done < inodes; done += batch.Length)
        {
            long start = random.NextInt64(1, maxIno - batch.Length + 2);
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = consecutive ? start + i : random.NextInt64(1, maxIno + 1);
            }
            loaded += loader.LoadMany(batch).Count;
        }
        return loaded;
    }
}
