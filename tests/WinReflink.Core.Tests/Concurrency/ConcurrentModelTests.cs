namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Four workers at once on one volume, each doing the model exerciser's operations in a directory of
/// its own (checked against its own model after every step), cloning from and reading shared sources
/// that must never change, and racing on shared names whose invariants are checked at the end. Then
/// Check() clean; then a remount, after which every model must still match. Seed 2: 64 KiB blocks and
/// a large cache; seed 3: 4 KiB blocks, a 1 MiB cache and the group-commit timer every 2 ms.
/// Runs 3 s per seed; WINREFLINK_STRESS_SECONDS sets the time for long runs.
/// </summary>
public class ConcurrentModelTests : VolumeFixture
{
    [TestCase(2)]
    [TestCase(3)]
    public void WorkersMatchTheirModelsWhileSharingTheVolume(int seed)
    {
        using var run = new ConcurrentExerciser(Folder, seed, Model.ExerciserProfile.Concurrent);
        run.Run(StressRun.Duration(3));
        run.VerifyQuiet();
        run.Remount();
        TestContext.Out.WriteLine($"seed {seed}: operations per worker {string.Join(", ", run.Operations)}");
        Assert.That(run.Operations, Has.All.GreaterThanOrEqualTo(20));
    }
}
