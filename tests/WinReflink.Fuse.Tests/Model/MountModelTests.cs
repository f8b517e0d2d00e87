using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Model;

/// <summary>
/// Runs the mount-level model exerciser. By default 4 fixed seeds x 5,000 operations (two remounts
/// each) on the default mount (direct I/O), and the first seed again with --kernel-cache (the page cache
/// above the host). WINREFLINK_MOUNT_OPS sets the operations per seed and WINREFLINK_MOUNT_SEEDS
/// (comma-separated) the seeds, for long runs and for replaying a failure.
/// </summary>
public abstract class MountModelFixture : MountedTest
{
    private const int DefaultOperations = 5000;

    public static IEnumerable<int> Seeds()
    {
        string? env = Environment.GetEnvironmentVariable("WINREFLINK_MOUNT_SEEDS");
        return string.IsNullOrWhiteSpace(env)
            ? [1, 2, 3, 4]
            : env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture));
    }

    public static IEnumerable<int> FirstSeed() => Seeds().Take(1);

    private static int Operations()
    {
        string? env = Environment.GetEnvironmentVariable("WINREFLINK_MOUNT_OPS");
        return string.IsNullOrWhiteSpace(env) ? DefaultOperations : int.Parse(env, CultureInfo.InvariantCulture);
    }

    protected void Exercise(int seed)
    {
        int operations = Operations();
        var exerciser = new MountExerciser(MountPoint, seed, () => Remount());
        try
        {
            exerciser.Run(operations, new HashSet<int> { operations / 3, 2 * operations / 3 });
        }
        catch (Exception e) when (e is ModelMismatchException or PosixException or IOException or UnauthorizedAccessException)
        {
            string trace = Path.Combine(Path.GetTempPath(), $"winreflink-mount-model-seed{seed}.trace");
            File.WriteAllLines(trace, exerciser.Trace);
            Assert.Fail(MountExerciser.Describe(seed, exerciser.Step, exerciser.Trace, e, GetType().Name) + $"\nfull trace: {trace}");
        }
        TestContext.Progress.WriteLine($"{GetType().Name} seed {seed}: {operations} steps ({exerciser.Trace.Count} system-call operations) matched the model");
    }
}

public sealed class MountModelTests : MountModelFixture
{
    [TestCaseSource(nameof(Seeds))]
    public void RandomSyscallsMatchTheModel(int seed) => Exercise(seed);
}

public sealed class KernelCacheMountModelTests : MountModelFixture
{
    protected override string[] MountOptions => ["--kernel-cache"];

    [TestCaseSource(nameof(FirstSeed))]
    public void RandomSyscallsMatchTheModel(int seed) => Exercise(seed);
}
