namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Four workers at once on an in-memory store that loses unflushed writes, fsyncing as they go and
/// every other file as their last act; then a power cut. After the mount: Check() clean, every file a
/// worker fsync'd holds what it held then (exactly, if nothing changed it since; otherwise a later
/// version's size and bytes, see <see cref="FsyncLedger"/>), the shared sources unchanged, the race's
/// invariants. Seed 3: unflushed writes dropped, group-commit timer every 5 ms; seed 4: torn per
/// 4 KiB block, commits only on fsync. Runs 2 s per seed; WINREFLINK_STRESS_SECONDS sets the time.
/// </summary>
public class ConcurrentCrashTests : VolumeFixture
{
    [TestCase(3)]
    [TestCase(4)]
    public void FsyncedContentSurvivesAPowerCutDuringConcurrentWork(int seed)
    {
        using var run = new ConcurrentExerciser(Folder, seed, Model.ExerciserProfile.ConcurrentCrash);
        run.Run(StressRun.Duration(2));
        var (exact, tracked) = run.CrashAndRecover();
        TestContext.Out.WriteLine($"seed {seed}: operations per worker {string.Join(", ", run.Operations)}; {tracked} fsync'd files checked, {exact} of them exactly");
        Assert.That(exact, Is.GreaterThan(0), "some files should be fsync'd last, so their content after the crash is known exactly");
    }
}
