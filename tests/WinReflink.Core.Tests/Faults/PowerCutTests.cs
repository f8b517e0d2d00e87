using WinReflink.Core.Storage;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// Power cuts inside operations, not only between them: the <see cref="FaultScenario"/> loses power
/// before each of its data-file writes (in the middle of a write-back, an eviction or a copy-on-write)
/// and right after each flush (between the data file's fdatasync and the SQLite commit). Unflushed
/// writes are then dropped or torn; the reopened volume must show every file as the model allows,
/// with `check` clean.
/// </summary>
public class PowerCutTests : VolumeFixture
{
    /// <summary>The lights go out: the call never returns normally and nothing after it happens.</summary>
    private sealed class PowerCutException() : Exception("power cut");

    /// <summary>The crash image's store, cut before its Nth write or after its Nth flush.</summary>
    private sealed class CuttingBlockStore : BlockStore
    {
        private readonly CrashingBlockStore _inner;

        public CuttingBlockStore(CrashImage image, int blockSize, long capacityBlocks)
            : base(blockSize, capacityBlocks)
        {
            _inner = new CrashingBlockStore(image, blockSize, capacityBlocks);
        }

        public FaultSite Site { get; init; }
        public int CutAt { get; init; }
        public int Writes { get; private set; }
        public int Flushes { get; private set; }
        public bool Cut { get; private set; }

        public override void Flush()
        {
            Check();
            _inner.Flush();
            if (Site == FaultSite.Flush && ++Flushes == CutAt)
            {
                Cut = true;
            }
            Check();
        }

        protected override void ReadCore(long offset, Span<byte> destination) => _inner.Read(offset / BlockSize, destination);

        protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
        {
            Check();
            if (Site == FaultSite.Write && ++Writes == CutAt)
            {
                Cut = true;
            }
            Check();
            _inner.Write(offset / BlockSize, buffers);
        }

        /// <summary>Once cut, nothing more reaches the image.</summary>
        private void Check()
        {
            if (Cut)
            {
                throw new PowerCutException();
            }
        }

        public override void Dispose()
        {
            _inner.Dispose();
            base.Dispose();
        }
    }

    private static IEnumerable<TestCaseData> Points()
    {
        foreach (var site in new[] { FaultSite.Write, FaultSite.Flush })
        {
            foreach (var policy in new[] { CrashPolicy.DropPending, CrashPolicy.TornPending })
            {
                yield return new TestCaseData(site, policy).SetName($"cut at every {site.ToString().ToLowerInvariant()}, pending writes {policy}");
            }
        }
    }

    [TestCaseSource(nameof(Points))]
    public void PowerCutsInsideOperationsKeepWhatWasCommitted(FaultSite site, CrashPolicy policy)
    {
        int total = 0;
        foreach (int seed in FaultScenario.Seeds())
        {
            var clean = Run(seed, site, 0, policy);
            Assert.That(clean.Points, Is.GreaterThan(5), "the scenario reaches the data file");
            for (int k = 1; k <= clean.Points; k++)
            {
                Assert.That(Run(seed, site, k, policy).Cut, Is.True, $"seed {seed}: cut {site} #{k} was not reached");
            }
            total += clean.Points;
        }
        TestContext.Out.WriteLine($"{total} cut points at {site}, {policy}");
    }

    private (int Points, bool Cut) Run(int seed, FaultSite site, int cutAt, CrashPolicy policy)
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        CrashImage? image = null;
        CuttingBlockStore? store = null;
        var scenario = new FaultScenario(seed, $"cut at {site} #{cutAt} ({policy})");
        var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 1L << 20,
            DirtyLimitBytes = 128L << 10,
            // Cut points are counted in a clean run: the writes must come in the same order every run.
            BackgroundWriteBack = false,
            BlockStoreFactory = s => store = new CuttingBlockStore(image = new CrashImage(s.BlockSize, s.CapacityBlocks), s.BlockSize, s.CapacityBlocks) { Site = site, CutAt = cutAt },
        });
        scenario.Run(fs);
        if (fs.Failure == null)
        {
            // The closing commit can be cut too.
            fs.Dispose();
            if (fs.Failure == null)
            {
                scenario.AllCommitted();
            }
        }
        else
        {
            fs.SimulateCrash();
        }
        image!.Crash(new Random(seed * 1000 + cutAt), policy);
        using (var again = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            BlockStoreFactory = s => new CrashingBlockStore(image, s.BlockSize, s.CapacityBlocks),
        }))
        {
            scenario.Verify(again);
        }
        return (site == FaultSite.Write ? store!.Writes : store!.Flushes, store.Cut);
    }
}
