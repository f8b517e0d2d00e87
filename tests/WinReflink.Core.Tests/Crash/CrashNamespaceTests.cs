using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// Power cuts among namespace and data operations, with 4, 16 and 64 KiB blocks: after each, the tree,
/// link counts, symlinks and xattrs are those of the last commit and every file passes the survivor
/// check. Default 90 seeds of 60 operations; WINREFLINK_CRASH_SEEDS sets the number of seeds,
/// WINREFLINK_CRASH_SEED runs one.
/// </summary>
public class CrashNamespaceTests : VolumeFixture
{
    private const int DefaultSeeds = 90;
    private const int OperationsPerSeed = 60;

    private static IEnumerable<int> Seeds()
    {
        string? one = Environment.GetEnvironmentVariable("WINREFLINK_CRASH_SEED");
        if (one != null)
        {
            return [int.Parse(one, CultureInfo.InvariantCulture)];
        }
        string? n = Environment.GetEnvironmentVariable("WINREFLINK_CRASH_SEEDS");
        return Enumerable.Range(1, n != null ? int.Parse(n, CultureInfo.InvariantCulture) : DefaultSeeds);
    }

    [Test]
    public void RandomCrashesAmongNamespaceOperationsReturnToTheLastCommit()
    {
        int count = 0;
        foreach (int seed in Seeds())
        {
            string folder = Path.Combine(Folder, seed.ToString(CultureInfo.InvariantCulture));
            ModelExerciser.Run(folder, seed, OperationsPerSeed, ExerciserProfile.CrashNamespace);
            Directory.Delete(folder, recursive: true);
            count++;
        }
        TestContext.Out.WriteLine($"{count} seeds of {OperationsPerSeed} operations passed");
    }
}
