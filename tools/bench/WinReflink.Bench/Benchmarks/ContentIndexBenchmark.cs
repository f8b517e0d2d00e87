using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Bench.Reporting;
using WinReflink.Core.Cache;
using WinReflink.Core.Storage;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// What the ExtentCache's content index costs (issue 10): the hash of a 4 KiB block against a copy of
/// the same block, hot (in the CPU's cache) and streaming through memory as a load or a batch lands;
/// what hashing and indexing add to a cold fill and to a flush through the cache; a lookup for a write
/// that finds nothing and one that finds its block; and the index's memory per cached GiB, from a
/// cache filled with distinct blocks (its own estimate, and the map measured on the managed heap).
/// Reports; asserts nothing.
/// </summary>
internal static class ContentIndexBenchmark
{
    private const int BlockSize = 4096;
    private const long GiB = 1L << 30;
    private const int HotIterations = 200_000;
    private const long StreamBytes = 256L << 20;
    /// <summary>What the modelled disk takes to write: about a fast SSD's sequential rate.</summary>
    private const long ModelledDiskBytesPerSecond = 1_500_000_000;

    public static int Run(long cacheBytes, int rounds, bool json)
    {
        var figures = new List<(string Key, string Label, double Value, string Unit)>();
        void Add(string key, string label, double value, string unit) => figures.Add((key, label, value, unit));

        var (hashHot, copyHot) = HotBlock(rounds);
        Add("hash_hot_ns", "XXH3 of one 4 KiB block, in the CPU cache", hashHot, "ns/block");
        Add("copy_hot_ns", "copy of one 4 KiB block, in the CPU cache", copyHot, "ns/block");
        Add("hash_hot_ratio", "hash / copy, in the CPU cache", hashHot / copyHot, "x");
        var (hashStream, copyStream) = Streaming(rounds);
        Add("hash_stream_ns", $"XXH3 of each 4 KiB block of {StreamBytes >> 20} MiB", hashStream, "ns/block");
        Add("copy_stream_ns", $"copy of each 4 KiB block of {StreamBytes >> 20} MiB", copyStream, "ns/block");
        Add("hash_stream_ratio", "hash / copy, streaming", hashStream / copyStream, "x");

        using var store = new SyntheticBlockStore(BlockSize, 4 * cacheBytes / BlockSize);
        var (fill, fillUnhashed, flush, flushUnhashed) = ThroughTheCache(store, cacheBytes, rounds);
        Add("fill_ms_per_gib", "cold fill through the cache, 1 MiB reads, per GiB", fill, "ms");
        Add("fill_unhashed_ms_per_gib", "the same with a constant hash (no hashing, nearly nothing indexed)", fillUnhashed, "ms");
        Add("flush_ms_per_gib", "FlushDirty of written blocks (the store drops them), per GiB", flush, "ms");
        Add("flush_unhashed_ms_per_gib", "the same with a constant hash", flushUnhashed, "ms");
        var (fresh, freshUnhashed) = FreshWrites(store, cacheBytes, rounds);
        Add("fresh_writes_mbps", $"{2 * cacheBytes >> 20} MiB of distinct blocks written through the cache, background write-back", fresh, "MB/s");
        Add("fresh_writes_unhashed_mbps", "the same with a constant hash", freshUnhashed, "MB/s");
        Add("fresh_writes_ratio", "with the index / without (the store drops writes: a lower bound)", fresh / freshUnhashed, "x");
        using var disk = new SyntheticBlockStore(BlockSize, 4 * cacheBytes / BlockSize, ModelledDiskBytesPerSecond);
        var (diskFresh, diskFreshUnhashed) = FreshWrites(disk, cacheBytes, rounds);
        Add("fresh_writes_disk_mbps", $"the same over a store that takes {ModelledDiskBytesPerSecond / 1e9:0.#} GB/s to write (sleeps)", diskFresh, "MB/s");
        Add("fresh_writes_disk_unhashed_mbps", "the same with a constant hash", diskFreshUnhashed, "MB/s");
        Add("fresh_writes_disk_ratio", "with the index / without, over that store", diskFresh / diskFreshUnhashed, "x");
        using var cache = new ExtentCache(store, cacheBytes, 64L << 20, NullLogger.Instance, background: false);
        Fill(cache, cacheBytes);
        var stats = cache.Statistics();
        double cachedGiB = (double)stats.CachedBytes / GiB;
        Add("indexed_blocks", "blocks indexed after the fill", stats.IndexedBlocks, "blocks");
        Add("cached_blocks", "blocks cached after the fill", stats.CachedBytes / BlockSize, "blocks");
        Add("index_estimate_mib_per_gib", "index memory per cached GiB, the cache's estimate", stats.IndexBytes / cachedGiB / (1 << 20), "MiB");
        Add("index_map_measured_mib_per_gib", "index map per cached GiB, measured on the managed heap", MapHeapBytes(stats.IndexedBlocks) / cachedGiB / (1 << 20), "MiB");
        Add("index_window_hashes_mib_per_gib", "per-window hashes and mask per cached GiB",
            (GiB / (ExtentCache.WindowBlocks * BlockSize)) * (double)(Unsafe.SizeOf<WindowHashes>() + sizeof(ulong)) / (1 << 20), "MiB");

        var (miss, hit) = Lookups(cache, rounds);
        Add("find_miss_ns", "FindEqual of a block cached nowhere (a fresh write)", miss, "ns/block");
        Add("find_hit_ns", "FindEqual of a cached block (hash, map, byte compare)", hit, "ns/block");
        Add("find_miss_per_copy", "FindEqual miss / copy, in the CPU cache", miss / copyHot, "x");

        if (json)
        {
            var root = new JsonObject { ["cache_mib"] = cacheBytes >> 20, ["rounds"] = rounds };
            foreach (var f in figures)
            {
                root[f.Key] = f.Value;
            }
            Console.WriteLine(root.ToJsonString());
        }
        else
        {
            Console.WriteLine($"content index (cache {cacheBytes >> 20} MiB, medians of {rounds} rounds)");
            foreach (var f in figures)
            {
                Console.WriteLine($"  {f.Label,-78} {Format.Number(f.Value),12} {f.Unit}");
            }
        }
        return 0;
    }

    /// <summary>Nanoseconds per block to hash, and to copy, one block over and over (it stays in L1).</summary>
    private static (double Hash, double Copy) HotBlock(int rounds)
    {
        var block = new byte[BlockSize];
        var into = new byte[BlockSize];
        Random.Shared.NextBytes(block);
        ulong sink = 0;
        var hash = new List<double>();
        var copy = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < HotIterations; i++)
            {
                sink += ContentIndex.XxHash3(block);
            }
            hash.Add(sw.Elapsed.TotalNanoseconds / HotIterations);
            sw.Restart();
            for (int i = 0; i < HotIterations; i++)
            {
                block.AsSpan().CopyTo(into);
                into[i & (BlockSize - 1)] ^= 1;
            }
            copy.Add(sw.Elapsed.TotalNanoseconds / HotIterations);
        }
        GC.KeepAlive(sink);
        return (Stats.Median(hash), Stats.Median(copy));
    }

    /// <summary>Nanoseconds per block to hash each block of a buffer larger than the CPU's caches, and to copy each into another such buffer.</summary>
    private static (double Hash, double Copy) Streaming(int rounds)
    {
        var source = new byte[StreamBytes];
        var into = new byte[StreamBytes];
        Random.Shared.NextBytes(source);
        Array.Fill(into, (byte)1);
        long blocks = StreamBytes / BlockSize;
        ulong sink = 0;
        var hash = new List<double>();
        var copy = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (long b = 0; b < blocks; b++)
            {
                sink += ContentIndex.XxHash3(source.AsSpan((int)(b * BlockSize), BlockSize));
            }
            hash.Add(sw.Elapsed.TotalNanoseconds / blocks);
            sw.Restart();
            for (long b = 0; b < blocks; b++)
            {
                source.AsSpan((int)(b * BlockSize), BlockSize).CopyTo(into.AsSpan((int)(b * BlockSize)));
            }
            copy.Add(sw.Elapsed.TotalNanoseconds / blocks);
        }
        GC.KeepAlive(sink);
        return (Stats.Median(hash), Stats.Median(copy));
    }

    /// <summary>
    /// Milliseconds per GiB of a cold fill of a new cache (reads from the synthetic store, so hashing is
    /// a larger share than over a disk), and of FlushDirty after writing half a cache (a store that drops
    /// writes: what is left is the cache's own work), each with XXH3 and with a constant hash that skips
    /// hashing and indexes almost nothing; medians, the two taken in turn.
    /// </summary>
    private static (double Fill, double FillUnhashed, double Flush, double FlushUnhashed) ThroughTheCache(BlockStore store, long cacheBytes, int rounds)
    {
        var fill = new[] { new List<double>(), new List<double>() };
        var flush = new[] { new List<double>(), new List<double>() };
        var data = new byte[1 << 20];
        Random.Shared.NextBytes(data);
        double gib = (double)cacheBytes / GiB;
        for (int r = 0; r < rounds; r++)
        {
            for (int side = 0; side < 2; side++)
            {
                BlockHasher? hash = side == 0 ? null : _ => 0;
                using (var cache = new ExtentCache(store, cacheBytes, cacheBytes, NullLogger.Instance, background: false, hash))
                {
                    fill[side].Add(Fill(cache, cacheBytes) * 1000 / gib);
                }
                using (var cache = new ExtentCache(store, cacheBytes, cacheBytes, NullLogger.Instance, background: false, hash))
                {
                    long half = cacheBytes / 2;
                    for (long at = 0; at < half; at += data.Length)
                    {
                        data[0]++;
                        cache.Write(at, data, ino: 1, logicalBlock: at / BlockSize, fresh: true);
                    }
                    var sw = Stopwatch.StartNew();
                    cache.FlushDirty();
                    flush[side].Add(sw.Elapsed.TotalMilliseconds / (gib / 2));
                }
            }
        }
        return (Stats.Median(fill[0]), Stats.Median(fill[1]), Stats.Median(flush[0]), Stats.Median(flush[1]));
    }

    /// <summary>
    /// MB/s of writing twice the cache's size of distinct blocks in 1 MiB calls, then a commit's batch, with the
    /// background writer on (it hashes what it writes back), with XXH3 and with a constant hash; medians,
    /// the two taken in turn. The store drops the writes, so the cache's own work is all that is timed
    /// and the index's share is larger than over a disk.
    /// </summary>
    private static (double Hashed, double Unhashed) FreshWrites(BlockStore store, long cacheBytes, int rounds)
    {
        var speed = new[] { new List<double>(), new List<double>() };
        var data = new byte[1 << 20];
        Random.Shared.NextBytes(data);
        long total = 2 * cacheBytes;
        long serial = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int side = 0; side < 2; side++)
            {
                BlockHasher? hash = side == 0 ? null : _ => 0;
                using var cache = new ExtentCache(store, cacheBytes, Math.Min(256L << 20, cacheBytes / 2), NullLogger.Instance, background: true, hash);
                var sw = Stopwatch.StartNew();
                for (long at = 0; at < total; at += data.Length)
                {
                    for (int b = 0; b < data.Length; b += BlockSize)
                    {
                        BitConverter.TryWriteBytes(data.AsSpan(b), ++serial);
                    }
                    cache.Write(at, data, ino: 1, logicalBlock: at / BlockSize, fresh: true);
                }
                // The rest as a commit writes it: its batch, outside the cache's lock.
                cache.WriteTaken(cache.TakeDirty());
                speed[side].Add(Stats.MegabytesPerSecond(total, sw.Elapsed.TotalSeconds));
            }
        }
        return (Stats.Median(speed[0]), Stats.Median(speed[1]));
    }

    /// <summary>Reads the cache's capacity of distinct blocks through it, 1 MiB at a time; seconds taken.</summary>
    private static double Fill(ExtentCache cache, long bytes)
    {
        var buffer = new byte[1 << 20];
        var sw = Stopwatch.StartNew();
        for (long at = 0; at < bytes; at += buffer.Length)
        {
            cache.Read(at, buffer, ino: 1, logicalBlock: at / BlockSize);
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Managed heap taken by a ContentIndex of <paramref name="blocks"/> distinct hashes, over windows
    /// that exist beforehand (their cost is the cache's, counted apart as the per-window hashes).
    /// </summary>
    private static long MapHeapBytes(long blocks)
    {
        using var buffer = new NativeBuffer(ExtentCache.WindowBlocks * BlockSize, BlockStore.Alignment);
        var windows = new CacheEntry[(blocks + ExtentCache.WindowBlocks - 1) / ExtentCache.WindowBlocks];
        for (int w = 0; w < windows.Length; w++)
        {
            windows[w] = new CacheEntry((long)w * ExtentCache.WindowBlocks, buffer) { Valid = ulong.MaxValue };
        }
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new ContentIndex(ContentIndex.XxHash3);
        var random = new Random(1);
        for (long b = 0; b < blocks; b++)
        {
            index.Add(windows[b / ExtentCache.WindowBlocks], (int)(b % ExtentCache.WindowBlocks), (ulong)random.NextInt64());
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        // The windows too: dead after the loop, they would be collected and taken off the figure.
        GC.KeepAlive(windows);
        GC.KeepAlive(index);
        return after - before;
    }

    /// <summary>Nanoseconds per FindEqual that misses (bytes cached nowhere) and that hits (a cached block's bytes).</summary>
    private static (double Miss, double Hit) Lookups(ExtentCache cache, int rounds)
    {
        const int Lookups = 100_000;
        var fresh = new byte[BlockSize];
        Random.Shared.NextBytes(fresh);
        var cached = new byte[BlockSize];
        SyntheticBlockStore.Fill(12_345, cached);
        if (cache.FindEqual(cached) != 12_345)
        {
            throw new InvalidOperationException("the filled cache does not find block 12345 by its bytes");
        }
        var miss = new List<double>();
        var hit = new List<double>();
        long sink = 0;
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < Lookups; i++)
            {
                fresh[i & (BlockSize - 1)] ^= 1;
                sink += cache.FindEqual(fresh);
            }
            miss.Add(sw.Elapsed.TotalNanoseconds / Lookups);
            sw.Restart();
            for (int i = 0; i < Lookups; i++)
            {
                sink += cache.FindEqual(cached);
            }
            hit.Add(sw.Elapsed.TotalNanoseconds / Lookups);
        }
        GC.KeepAlive(sink);
        return (Stats.Median(miss), Stats.Median(hit));
    }

    /// <summary>
    /// A store whose every block holds bytes of its own, made on read (no memory behind it). Writes are
    /// dropped, at once or after the time a disk of <paramref name="writeBytesPerSecond"/> would take
    /// (a batch's runs as one submission, as the Linux store's native AIO).
    /// </summary>
    private sealed class SyntheticBlockStore(int blockSize, long capacityBlocks, long writeBytesPerSecond = 0) : BlockStore(blockSize, capacityBlocks)
    {
        public static void Fill(long block, Span<byte> destination)
        {
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(destination);
            ulong seed = (ulong)block * 0x9E3779B97F4A7C15UL;
            for (int i = 0; i < words.Length; i++)
            {
                words[i] = seed ^ ((ulong)i * 0xBF58476D1CE4E5B9UL);
            }
        }

        public override void Flush()
        {
        }

        protected override void ReadCore(long offset, Span<byte> destination)
        {
            for (int at = 0; at < destination.Length; at += BlockSize)
            {
                Fill((offset + at) / BlockSize, destination.Slice(at, BlockSize));
            }
        }

        protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers) => Take(buffers.Sum(b => (long)b.Length));

        protected override void WriteRunsCore(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs) =>
            Take(runs.Sum(r => r.Buffers.Sum(b => (long)b.Length)));

        private void Take(long bytes)
        {
            if (writeBytesPerSecond > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds((double)bytes / writeBytesPerSecond));
            }
        }
    }
}
