using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// Random operation sequences with fsyncs and power cuts (see <see cref="ModelHarness.Crash"/> for what
/// is expected after each). The default run does 400 seeds of 60 operations in four batches;
/// WINREFLINK_CRASH_SEEDS sets the number of seeds for long runs, WINREFLINK_CRASH_SEED runs one seed.
/// The seed also picks the crash policy: unflushed writes dropped, torn per 4 KiB block, or kept.
/// </summary>
public class CrashTests : VolumeFixture
{
    private const int DefaultSeeds = 400;
    private const int Batches = 4;
    private const int OperationsPerSeed = 60;

    private static int? SingleSeed()
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_CRASH_SEED");
        return one != null ? int.Parse(one, CultureInfo.InvariantCulture) : null;
    }

    private static int SeedCount()
    {
        string? n = Environment.GetEnvironmentVariable("WINREFLINK_CRASH_SEEDS");
        return n != null ? int.Parse(n, CultureInfo.InvariantCulture) : DefaultSeeds;
    }

    private static IEnumerable<int> BatchNumbers() => SingleSeed() != null ? new[] { 0 } : Enumerable.Range(0, Batches);

    [TestCaseSource(nameof(BatchNumbers))]
    public void RandomCrashesReturnToTheLastCommit(int batch)
    {
        var seeds = SingleSeed() is { } one ? new[] { one } : Enumerable.Range(1, SeedCount()).Where(s => s % Batches == batch).ToArray();
        long recognized = 0, evicted = 0, segmentsEvicted = 0;
        foreach (int seed in seeds)
        {
            string folder = Path.Combine(Folder, seed.ToString(CultureInfo.InvariantCulture));
            var run = ModelExerciser.Run(folder, seed, OperationsPerSeed, ExerciserProfile.Crash);
            recognized += run.RecognizedBlocks;
            evicted += run.EvictedInodes;
            segmentsEvicted += run.SharedSegments.Evicted;
            Directory.Delete(folder, recursive: true);
        }
        TestContext.Out.WriteLine($"{seeds.Length} seeds of {OperationsPerSeed} operations passed; copy recognition shared {recognized} blocks; {evicted} inodes dropped and reloaded");
        Assert.That(recognized, Is.GreaterThan(0), "copies by write should be recognized among the crashes");
        if (seeds.Any(s => ExerciserProfile.Crash.Options(s).MetadataCacheBytes == HarnessOptions.TinyMetadataCache))
        {
            Assert.That(evicted, Is.GreaterThan(0), "the odd seeds' tiny metadata budget should drop inodes to be loaded again");
            Assert.That(segmentsEvicted, Is.GreaterThan(0), "and shared-table segments");
        }
    }

    /// <summary>
    /// Blocks shared in the last commit must not be overwritten in place even after the other owner is
    /// unlinked: the unlink is not committed, so after a crash that owner is back and must read its bytes.
    /// The dirty limit is small, so the new bytes reach the store before the crash, and kept.
    /// </summary>
    [Test]
    public void BlocksUnsharedSinceTheLastCommitAreNotOverwrittenInPlace()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 32 << 10, Crash = CrashPolicy.KeepPending });
        h.Create(1);
        h.Write(1, 0, 131072, 5);
        h.Create(2);
        h.CloneFile(1, 2);
        h.Fsync(1);
        h.Unlink(2);
        h.Write(1, 0, 131072, 6);
        h.Write(1, 1000, 100000, 7);
        h.Crash(1);
    }

    /// <summary>Fsync'd bytes survive when every later write is lost, and nothing written after the fsync shows.</summary>
    [Test]
    public void FsyncedDataSurvivesLostWrites()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 32 << 10, Crash = CrashPolicy.DropPending });
        h.Create(1);
        h.Write(1, 0, 200000, 1);
        h.Fsync(1);
        h.Write(1, 5000, 150000, 2);
        h.Truncate(1, 70001);
        h.Create(2);
        h.Write(2, 0, 100000, 3);
        h.Crash(2);
    }
}
