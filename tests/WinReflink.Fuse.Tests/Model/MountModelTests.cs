using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Model;

/// <summary>
/// The mount-level model exerciser: 4 fixed seeds x 5,000 operations by default (two remounts each).
/// WINREFLINK_MOUNT_OPS sets the operations per seed and WINREFLINK_MOUNT_SEEDS (comma-separated)
/// the seeds, for long runs and for replaying a failure.
/// </summary>
public sealed class MountModelTests : MountedTest
{
    private const int DefaultOperations = 5000;

    public static IEnumerable<int> Seeds()
    {
        string? env = Environment.GetEnvironmentVariable("WINREFLINK_MOUNT_SEEDS");
        return string.IsNullOrWhiteSpace(env)
            ? [1, 2, 3, 4]
            : env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture));
    }

    private static int Operations()
    {
        string? env = Environment.GetEnvironmentVariable("WINREFLINK_MOUNT_OPS");
        return string.IsNullOrWhiteSpace(env) ? DefaultOperations : int.Parse(env, CultureInfo.InvariantCulture);
    }

    [TestCaseSource(nameof(Seeds))]
    public void RandomSyscallsMatchTheModel(int seed)
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
            Assert.Fail(MountExerciser.Describe(seed, exerciser.Step, exerciser.Trace, e) + $"\nfull trace: {trace}");
        }
        TestContext.Progress.WriteLine($"mount model seed {seed}: {operations} steps ({exerciser.Trace.Count} system-call operations) matched the model");
    }
}
