using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// The <see cref="FaultScenario"/> run once for every data-file write and flush it makes, with an I/O
/// error (EIO or ENOSPC) injected at that call: the failing call answers an error, no fsync or sync
/// ever answers Ok for content that is not on disk, and after reopening every file is as the model
/// allows and `check` is clean.
/// </summary>
public class FaultSweepTests : VolumeFixture
{
    private sealed record RunResult(int Writes, int Flushes, bool Fired);

    private static IEnumerable<TestCaseData> Points()
    {
        foreach (var (site, error) in new[] { (FaultSite.Write, "Input/output error"), (FaultSite.Flush, "Input/output error"), (FaultSite.Write, "No space left on device"), (FaultSite.Flush, "No space left on device") })
        {
            yield return new TestCaseData(site, error).SetName($"{site} faults: {error}");
        }
    }

    [TestCaseSource(nameof(Points))]
    public void EveryFaultPointKeepsWhatWasCommitted(FaultSite site, string error)
    {
        // The counts come from a run without faults; a sweep past them would inject nothing.
        int total = 0;
        foreach (int seed in FaultScenario.Seeds())
        {
            var clean = Run(seed, FaultSite.Write, 0, error);
            int points = site == FaultSite.Write ? clean.Writes : clean.Flushes;
            Assert.That(points, Is.GreaterThan(5), "the scenario reaches the data file");
            for (int k = 1; k <= points; k++)
            {
                var result = Run(seed, site, k, error);
                Assert.That(result.Fired, Is.True, $"seed {seed}: fault {site} #{k} was not reached");
            }
            total += points;
        }
        TestContext.Out.WriteLine($"{total} {site} fault points, each run to the end and reopened");
    }

    private RunResult Run(int seed, FaultSite site, int failAt, string error)
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        string dataImage = new VolumeLayout(Folder).DataImage;
        FaultyBlockStore? store = null;
        var scenario = new FaultScenario(seed, $"fault {site} #{failAt}");
        using (var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 1L << 20,
            DirtyLimitBytes = 128L << 10,
            // The sweep counts the store's calls in a clean run and fails each in turn: they must come in
            // the same order every run. BackgroundWriteBackTests cover failures on the writer's thread.
            BackgroundWriteBack = false,
            BlockStoreFactory = s => store = new FaultyBlockStore(dataImage, s.BlockSize, s.CapacityBlocks) { Site = site, FailAt = failAt, Error = error },
        }))
        {
            scenario.Run(fs);
            fs.Dispose();
            if (fs.Failure == null)
            {
                scenario.AllCommitted();
            }
        }
        using (var again = Reopen())
        {
            scenario.Verify(again);
        }
        return new RunResult(store!.Writes, store.Flushes, store.Fired);
    }
}
