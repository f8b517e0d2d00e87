using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// The crash model's survivor check on a disk that lies about flushes: the committed data never
/// becomes durable, so after a power cut the committed mappings read zeros. That is the symptom of an
/// ordered-mode violation, and the check must reject it even when the file changed after the commit.
/// </summary>
public class SurvivorCheckTests : VolumeFixture
{
    [Test]
    public void ZerosWhereTheCommitHadDataAreAnOrderedModeViolation()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 32 << 10, Crash = CrashPolicy.DropPending, IgnoreFlushes = true });
        h.Create(1);
        h.Write(1, 0, 65536, 1);
        h.Fsync(1);
        h.Write(1, 70000, 100, 2);
        var e = Assert.Throws<ModelDivergenceException>(() => h.Crash(0));
        Assert.That(e!.Message, Does.Contain("ordered-mode violation"));
    }

    [Test]
    public void ZerosFromAHoleOrALaterZeroRangeAreAccepted()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 32 << 10, Crash = CrashPolicy.TornPending });
        h.Create(1);
        h.Write(1, 0, 65536, 1);
        h.Fsync(1);
        h.Allocate(1, 4096, 8192, AllocateMode.ZeroRangeKeepSize);
        h.Truncate(1, 1000);
        h.Truncate(1, 65536);
        h.Write(1, 30000, 5000, 2);
        h.Crash(3);
    }
}
