using System.Globalization;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The model-based exerciser over fixed seeds, one test per profile. Default: 2,000 operations per
/// seed of the data mix (8 seeds) and on an almost full volume (2); 1,500 for 6 seeds of the namespace
/// mix (4, 16 and 64 KiB blocks) and 3 with the group-commit timer running; 500 for 8 seeds of
/// fsync-then-append on an almost full volume; the almost full volume with background commits only
/// in long runs for now (defect 1 of issue 6 fails it at timing-dependent seeds).
/// For long runs: WINREFLINK_MODEL_OPS sets the operations per seed, WINREFLINK_MODEL_SEEDS runs
/// seeds 1 to N of every profile, WINREFLINK_MODEL_SEED runs that one seed.
/// </summary>
public class ModelTests : VolumeFixture
{
    private const int DefaultOperations = 2000;
    private const int NamespaceOperations = 1500;


    private static IEnumerable<int> SeedsOr(int count, params int[] skip)
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_SEED");
        if (one != null)
        {
            return [int.Parse(one, CultureInfo.InvariantCulture)];
        }
        string? many = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_SEEDS");
        return many != null
            ? Enumerable.Range(1, int.Parse(many, CultureInfo.InvariantCulture))
            : Enumerable.Range(1, count).Except(skip);
    }

    private static IEnumerable<int> Seeds() => SeedsOr(8);
    private static IEnumerable<int> FullSeeds() => SeedsOr(4);
    private const int FixedNamespaceSeeds = 6;
    private static IEnumerable<int> NamespaceSeeds() => SeedsOr(FixedNamespaceSeeds);
    private static IEnumerable<int> TimerSeeds() => SeedsOr(3);
    private static IEnumerable<int> TimerFullSeeds() => SeedsOr(3);
    private static IEnumerable<int> FullAppendSeeds() => SeedsOr(8);

    private static int Operations(int defaultOperations = DefaultOperations)
    {
        string? ops = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_OPS");
        return ops != null ? int.Parse(ops, CultureInfo.InvariantCulture) : defaultOperations;
    }

    [TestCaseSource(nameof(Seeds))]
    public void RandomOperationsMatchTheModel(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(), ExerciserProfile.Model);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations, {run.RecognizedBlocks} blocks shared by copy recognition, {run.EvictedInodes} inodes and {run.EvictedEntries} directory entries dropped and reloaded, shared-table segments {run.SharedSegments.Loaded} read and {run.SharedSegments.Evicted} dropped");
        Assert.That(run.RecognizedBlocks, Is.GreaterThan(0), "copies by write should be recognized in the run");
        if (ExerciserProfile.Model.Options(seed).MetadataCacheBytes == HarnessOptions.TinyMetadataCache)
        {
            // The scan runs on a pool thread, so how many of its passes land within a run depends on the
            // scheduler: 1,140 to 1,317 drops in 2,000 steps by hand, under 1,000 in a busy run. A quarter
            // of the steps still shows inodes dropped and reloaded throughout the run.
            Assert.That(run.EvictedInodes, Is.GreaterThan(run.Operations / 4), "with a tiny metadata budget inodes should be dropped and reloaded on many steps");
            Assert.That(run.EvictedEntries, Is.GreaterThan(0), "with a tiny metadata budget cached directory entries should be dropped and read again");
            Assert.That(run.SharedSegments.Evicted, Is.GreaterThan(run.Operations / 10), "with a tiny metadata budget the shared table's segments should be dropped after steps");
            Assert.That(run.SharedSegments.Loaded, Is.GreaterThanOrEqualTo(run.SharedSegments.Evicted).And.GreaterThan(run.Operations / 10),
                "and read again from meta.db when a later step touches their blocks");
        }
    }

    /// <summary>The same on a 512 KiB volume: operations refused with NoSpace must change nothing.</summary>
    [TestCaseSource(nameof(FullSeeds))]
    public void RandomOperationsOnAnAlmostFullVolume(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(), ExerciserProfile.Full);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations, {run.NoSpaceRefusals} refused with NoSpace");
        Assert.That(run.NoSpaceRefusals, Is.GreaterThan(run.Operations / 50), "the volume should fill up often enough to test NoSpace");
    }

    /// <summary>Directories, renames, links, symlinks and xattrs among the data operations, over 4, 16 and 64 KiB blocks.</summary>
    [TestCaseSource(nameof(NamespaceSeeds))]
    public void RandomNamespaceOperationsMatchTheModel(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(NamespaceOperations), ExerciserProfile.Namespace);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations; namespace calls by answer:\n{run.Summary()}");
        if (seed > FixedNamespaceSeeds)
        {
            // Which calls a mix reaches depends on its seed (a long run's seed 10 made no exchange
            // across directories): the fixed seeds are held to reaching them, the others only to the model.
            return;
        }
        Assert.That(run.Outcomes.Keys, Has.Member("rename across directories (Exchange): Ok").And.Member("unlink of an open file: Ok"),
            "the mix should reach exchanges across directories and unlinks of open files");
        if (!ExerciserProfile.Namespace.Options(seed).CaseSensitive)
        {
            Assert.That(run.Outcomes.Keys.Count(k => k.StartsWith("rename case variant (", StringComparison.Ordinal) && k.EndsWith("): Ok", StringComparison.Ordinal)), Is.GreaterThan(0),
                "the mix should rename names to case variants of themselves");
        }
    }

    /// <summary>The namespace mix while the group-commit timer commits in the background every 2 ms.</summary>
    [TestCaseSource(nameof(TimerSeeds))]
    public void RandomOperationsWithBackgroundCommits(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(NamespaceOperations), ExerciserProfile.Timer);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations");
    }

    /// <summary>The almost full volume while background commits free busy blocks at moments the model cannot know.</summary>
    [TestCaseSource(nameof(TimerFullSeeds))]
    public void BackgroundCommitsOnAnAlmostFullVolume(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(500), ExerciserProfile.TimerFull);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations, {run.NoSpaceRefusals} refused with NoSpace");
    }

    /// <summary>Fsync, append, free a busy block, append again, on a volume that is almost full.</summary>
    [TestCaseSource(nameof(FullAppendSeeds))]
    public void FsyncThenAppendOnAnAlmostFullVolume(int seed)
    {
        var run = ModelExerciser.Run(Folder, seed, Operations(500), ExerciserProfile.FullAppend);
        TestContext.Out.WriteLine($"seed {seed}: {run.Operations} operations, {run.NoSpaceRefusals} refused with NoSpace");
    }
}
