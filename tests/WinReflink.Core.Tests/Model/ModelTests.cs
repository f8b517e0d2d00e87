using System.Globalization;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The model-based exerciser over fixed seeds: 8 seeds of 2,000 operations each by default (16,000
/// operations), and 2 more seeds on an almost full volume (4,000). WINREFLINK_MODEL_OPS sets the
/// operations per seed for long runs; WINREFLINK_MODEL_SEED runs that one seed only.
/// </summary>
public class ModelTests : VolumeFixture
{
    private const int DefaultOperations = 2000;

    private static IEnumerable<int> Seeds()
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_SEED");
        return one != null ? new[] { int.Parse(one, CultureInfo.InvariantCulture) } : Enumerable.Range(1, 8);
    }

    private static IEnumerable<int> FullSeeds()
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_SEED");
        return one != null ? new[] { int.Parse(one, CultureInfo.InvariantCulture) } : Enumerable.Range(1, 2);
    }

    private static int Operations()
    {
        string? ops = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_OPS");
        return ops != null ? int.Parse(ops, CultureInfo.InvariantCulture) : DefaultOperations;
    }

    [TestCaseSource(nameof(Seeds))]
    public void RandomOperationsMatchTheModel(int seed)
    {
        var (ops, _) = ModelExerciser.Run(Folder, seed, Operations(), ExerciserProfile.Model);
        TestContext.Out.WriteLine($"seed {seed}: {ops} operations");
    }

    /// <summary>The same on a 512 KiB volume: operations refused with NoSpace must change nothing.</summary>
    [TestCaseSource(nameof(FullSeeds))]
    public void RandomOperationsOnAnAlmostFullVolume(int seed)
    {
        var (ops, refused) = ModelExerciser.Run(Folder, seed, Operations(), ExerciserProfile.Full);
        TestContext.Out.WriteLine($"seed {seed}: {ops} operations, {refused} refused with NoSpace");
        Assert.That(refused, Is.GreaterThan(ops / 50), "the volume should fill up often enough to test NoSpace");
    }
}
