using System.Globalization;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The model-based exerciser over fixed seeds: 8 seeds of 1,500 operations each by default (12,000
/// operations). WINREFLINK_MODEL_OPS sets the operations per seed for long runs; WINREFLINK_MODEL_SEED
/// runs that one seed only.
/// </summary>
public class ModelTests : VolumeFixture
{
    private const int DefaultOperations = 1500;

    private static IEnumerable<int> Seeds()
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_SEED");
        return one != null ? new[] { int.Parse(one, CultureInfo.InvariantCulture) } : Enumerable.Range(1, 8);
    }

    private static int Operations()
    {
        string? ops = Environment.GetEnvironmentVariable("WINREFLINK_MODEL_OPS");
        return ops != null ? int.Parse(ops, CultureInfo.InvariantCulture) : DefaultOperations;
    }

    [TestCaseSource(nameof(Seeds))]
    public void RandomOperationsMatchTheModel(int seed)
    {
        ModelExerciser.Run(Folder, seed, Operations(), ExerciserProfile.Model);
    }
}
