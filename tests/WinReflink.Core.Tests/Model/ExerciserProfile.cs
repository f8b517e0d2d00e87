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
        [OpKind.CopyWrite] = 2,
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
            : new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 64 << 10 });

    /// <summary>
    /// The model on a 512 KiB volume (128 blocks) that eight files of up to 256 KiB and their copies fill:
    /// operations hit NoSpace often and must then change nothing.
    /// </summary>
    public static ExerciserProfile Full { get; } = new("full",
        new Dictionary<OpKind, int>(DataOps) { [OpKind.Reopen] = 1, [OpKind.Check] = 1 },
        seed => new HarnessOptions { VolumeBytes = 512L << 10, CheckEvery = 25, AllowNoSpace = true });

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
        });
}
