using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Model;

internal enum OpKind
{
    Create,
    Write,
    CopyWrite,
    Read,
    Truncate,
    PunchHole,
    ZeroRange,
    Fallocate,
    CloneRange,
    CloneFile,
    Dedupe,
    Unlink,
    Open,
    Release,
    Fsync,
    Reopen,
    Crash,
    Seek,
    Check,
    FsyncAppend,
    Mkdir,
    Rmdir,
    Rename,
    Link,
    Symlink,
    UnlinkName,
    SetXattr,
    RemoveXattr,
}

/// <summary>The mix of operations a run draws from, and the volume set-up per seed.</summary>
internal sealed class ExerciserProfile
{
    private ExerciserProfile(string name, IReadOnlyDictionary<OpKind, int> weights, Func<int, HarnessOptions> options)
    {
        Name = name;
        Weights = weights;
        Options = options;
    }

    public string Name { get; }
    public IReadOnlyDictionary<OpKind, int> Weights { get; }
    public Func<int, HarnessOptions> Options { get; }

    private static readonly Dictionary<OpKind, int> DataOps = new()
    {
        [OpKind.Create] = 3,
        [OpKind.Write] = 20,
        // Frequent since copy recognition (issue 10): a copy by write shares what the cache holds clean.
        [OpKind.CopyWrite] = 8,
        [OpKind.Read] = 5,
        [OpKind.Truncate] = 6,
        [OpKind.PunchHole] = 5,
        [OpKind.ZeroRange] = 4,
        [OpKind.Fallocate] = 4,
        [OpKind.CloneRange] = 12,
        [OpKind.CloneFile] = 3,
        [OpKind.Dedupe] = 6,
        [OpKind.Unlink] = 2,
        [OpKind.Open] = 2,
        [OpKind.Release] = 2,
        [OpKind.Fsync] = 3,
        [OpKind.Seek] = 4,
    };

    /// <summary>
    /// The model run: the real data.img; even seeds with a large cache, odd seeds with a cache of four
    /// 64 KiB windows and a small dirty limit, so eviction and write-back run all the time.
    /// </summary>
    public static ExerciserProfile Model { get; } = new("model",
        new Dictionary<OpKind, int>(DataOps) { [OpKind.Reopen] = 1, [OpKind.Check] = 1 },
        seed => seed % 2 == 0
            ? new HarnessOptions()
            : new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 64 << 10, MetadataCacheBytes = HarnessOptions.TinyMetadataCache });

    /// <summary>
    /// The model on a 512 KiB volume (128 blocks) that eight files of up to 256 KiB and their copies fill:
    /// operations hit NoSpace often and must then change nothing.
    /// </summary>
    public static ExerciserProfile Full { get; } = new("full",
        new Dictionary<OpKind, int>(DataOps) { [OpKind.Reopen] = 1, [OpKind.Check] = 1 },
        seed => new HarnessOptions { VolumeBytes = 512L << 10, CheckEvery = 25, AllowNoSpace = true });

    private static readonly Dictionary<OpKind, int> NamespaceOps = new()
    {
        [OpKind.Mkdir] = 3,
        [OpKind.Rmdir] = 2,
        [OpKind.Rename] = 8,
        [OpKind.Link] = 3,
        [OpKind.Symlink] = 2,
        [OpKind.UnlinkName] = 3,
        [OpKind.SetXattr] = 3,
        [OpKind.RemoveXattr] = 1,
        [OpKind.Open] = 2,
    };

    private static Dictionary<OpKind, int> With(params IReadOnlyDictionary<OpKind, int>[] mixes)
    {
        var all = new Dictionary<OpKind, int>();
        foreach (var mix in mixes)
        {
            foreach (var (kind, weight) in mix)
            {
                all[kind] = all.GetValueOrDefault(kind) + weight;
            }
        }
        return all;
    }

    private static Dictionary<OpKind, int> Without(IReadOnlyDictionary<OpKind, int> mix, params OpKind[] kinds) =>
        mix.Where(kv => !kinds.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>4, 16 and 64 KiB blocks in turn by seed.</summary>
    private static int BlockSizeFor(int seed) => (4 << 10) << (2 * (seed % 3));

    /// <summary>
    /// Data and namespace operations in a small tree: directories, rename in all its forms, hard links,
    /// unlink of open files, symlinks, xattrs. Block sizes of 4, 16 and 64 KiB by seed; every fifth seed
    /// case-sensitive (the others fold case, so case variants of one name are one entry).
    /// </summary>
    public static ExerciserProfile Namespace { get; } = new("namespace",
        With(DataOps, NamespaceOps, new Dictionary<OpKind, int> { [OpKind.Reopen] = 1, [OpKind.Check] = 1 }),
        seed => new HarnessOptions
        {
            BlockSize = BlockSizeFor(seed),
            CaseSensitive = seed % 5 == 4,
            CacheSizeBytes = seed % 2 == 0 ? 64L << 20 : 1L << 20,
            DirtyLimitBytes = seed % 2 == 0 ? 16L << 20 : 256 << 10,
            MetadataCacheBytes = seed % 2 == 0 ? null : HarnessOptions.TinyMetadataCache,
        });

    /// <summary>
    /// The namespace mix with the group-commit timer running every few milliseconds, so background
    /// commits land between (and wait for) operations. Nothing the model compares may change by a commit.
    /// </summary>
    public static ExerciserProfile Timer { get; } = new("timer",
        With(DataOps, NamespaceOps, new Dictionary<OpKind, int> { [OpKind.Reopen] = 1, [OpKind.Check] = 1 }),
        seed => new HarnessOptions
        {
            BlockSize = BlockSizeFor(seed),
            CacheSizeBytes = 1L << 20,
            DirtyLimitBytes = 256 << 10,
            CommitInterval = TimeSpan.FromMilliseconds(2),
        });

    /// <summary>
    /// The almost full volume with the group-commit timer running: whether busy blocks are free yet
    /// depends on when the last background commit ran, so the model accepts NoSpace or success alike.
    /// </summary>
    public static ExerciserProfile TimerFull { get; } = new("timer-full",
        With(DataOps, new Dictionary<OpKind, int> { [OpKind.FsyncAppend] = 4, [OpKind.Reopen] = 1, [OpKind.Check] = 1 }),
        seed => new HarnessOptions { VolumeBytes = 512L << 10, CheckEvery = 25, AllowNoSpace = true, CommitInterval = TimeSpan.FromMilliseconds(2) });

    /// <summary>
    /// The almost full volume, biased toward fsync then append (then freeing a busy block elsewhere and
    /// appending again): the pattern that made writes fail halfway when a commit for space moved the EOF.
    /// 128 blocks of 4 KiB, or for every fourth seed 16 KiB and every fourth 64 KiB.
    /// </summary>
    public static ExerciserProfile FullAppend { get; } = new("full-append",
        With(DataOps, new Dictionary<OpKind, int> { [OpKind.FsyncAppend] = 12, [OpKind.Reopen] = 1, [OpKind.Check] = 1 }),
        seed => new HarnessOptions { VolumeBytes = 128L * FullAppendBlockSize(seed), BlockSize = FullAppendBlockSize(seed), CheckEvery = 25, AllowNoSpace = true });

    private static int FullAppendBlockSize(int seed) => (seed % 4) switch
    {
        2 => 16 << 10,
        3 => 64 << 10,
        _ => 4 << 10,
    };

    /// <summary>Power cuts with the namespace mix, over 4, 16 and 64 KiB blocks: the tree, links and xattrs roll back to the last commit.</summary>
    public static ExerciserProfile CrashNamespace { get; } = new("crash-namespace",
        With(DataOps, NamespaceOps, new Dictionary<OpKind, int> { [OpKind.Fsync] = 3, [OpKind.Reopen] = 1, [OpKind.Crash] = 3 }),
        seed => new HarnessOptions
        {
            VolumeBytes = 64L << 20,
            BlockSize = BlockSizeFor(seed / 3),
            CacheSizeBytes = 1L << 20,
            DirtyLimitBytes = 128 << 10,
            CheckEvery = 10,
            Crash = (CrashPolicy)(seed % 3),
            MetadataCacheBytes = seed % 2 == 0 ? null : HarnessOptions.TinyMetadataCache,
        });

    /// <summary>
    /// The crash run: an in-memory store that loses unflushed writes, a small cache so dirty data reaches
    /// the store before commits, and power cuts among the operations. The seed picks the crash policy.
    /// </summary>
    public static ExerciserProfile Crash { get; } = new("crash",
        new Dictionary<OpKind, int>(DataOps) { [OpKind.Fsync] = 6, [OpKind.Reopen] = 1, [OpKind.Crash] = 3 },
        seed => new HarnessOptions
        {
            VolumeBytes = 64L << 20,
            CacheSizeBytes = 256 << 10,
            DirtyLimitBytes = 32 << 10,
            CheckEvery = 10,
            Crash = (CrashPolicy)(seed % 3),
            MetadataCacheBytes = seed % 2 == 0 ? null : HarnessOptions.TinyMetadataCache,
        });

    /// <summary>
    /// One thread's mix in the concurrent exerciser: data and namespace operations in a directory of its
    /// own, without what is volume-wide (remount, power cut, Check()), which the test does between runs.
    /// The seed sets up the shared volume: 4, 16 and 64 KiB blocks in turn; odd seeds with a 1 MiB cache,
    /// a small dirty limit and the group-commit timer every 2 ms, so eviction, write-back and background
    /// commits run among the threads.
    /// </summary>
    public static ExerciserProfile Concurrent { get; } = new("concurrent",
        With(DataOps, NamespaceOps),
        seed => new HarnessOptions
        {
            BlockSize = BlockSizeFor(seed),
            CacheSizeBytes = seed % 2 == 0 ? 64L << 20 : 1L << 20,
            DirtyLimitBytes = seed % 2 == 0 ? 16L << 20 : 128 << 10,
            CommitInterval = seed % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(2),
        });

    /// <summary>
    /// One thread's mix in the concurrent power-cut test: data operations on files that keep their names
    /// (no unlink, no open handles), so a file fsync'd once is there after the crash. The test draws the
    /// fsyncs itself, to record what each made durable. The seed picks the crash policy; the store is in
    /// memory and the cache small, so dirty data reaches the store between commits.
    /// </summary>
    public static ExerciserProfile ConcurrentCrash { get; } = new("concurrent-crash",
        Without(DataOps, OpKind.Create, OpKind.Unlink, OpKind.Open, OpKind.Release, OpKind.Fsync),
        seed => new HarnessOptions
        {
            VolumeBytes = 64L << 20,
            CacheSizeBytes = 512 << 10,
            DirtyLimitBytes = 64 << 10,
            CommitInterval = seed % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(5),
            Crash = (CrashPolicy)(seed % 3),
        });
}
