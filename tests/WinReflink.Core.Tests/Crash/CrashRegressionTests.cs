using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Crash;

/// <summary>Replays of crash bugs the crash exerciser found.</summary>
public class CrashRegressionTests : VolumeFixture
{
    /// <summary>
    /// A write that extended a file overwrote its committed last (partial) block in place, bytes past the
    /// committed EOF included. After a crash the size rolled back but the block kept those bytes past EOF,
    /// and growing the file by truncate then showed them (invariant 8). Found by crash seed 41.
    /// </summary>
    [Test]
    public void ExtendingWriteDoesNotLeaveBytesPastTheCommittedEofAfterACrash()
    {
        using (var h = new ModelHarness(Folder, new HarnessOptions { VolumeBytes = 64L << 20, CacheSizeBytes = 256 << 10, DirtyLimitBytes = 32 << 10, CheckEvery = 10, Crash = CrashPolicy.KeepPending }))
        {
            h.Create(1);
            h.Write(1, 2946, 79, 1023505637);
            h.Clone(1, 0, 1, 188265, 19);
            h.Fsync(1);
            h.Write(1, 132983, 65536, 1583600879);
            h.Crash(0);
            h.Truncate(1, 200000);
        }
    }
}
