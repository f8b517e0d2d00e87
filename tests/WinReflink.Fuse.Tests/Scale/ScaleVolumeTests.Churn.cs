using System.Globalization;
using WinReflink.Tests.Scale;

namespace WinReflink.Fuse.Tests.Scale;

public sealed partial class ScaleVolumeTests
{
    private const int ChurnFiles = 2_000;
    private const string ChurnDirectory = "churn";
    /// <summary>A 10,000-entry directory of the tree, which half the churned files are renamed into.</summary>
    private const string CrowdedDirectory = "d0001";
    /// <summary>Churned files are numbered past the tree's and the extras' files, so their bytes are their own.</summary>
    private const long ChurnNumberBase = 10_000_000;

    /// <summary>
    /// Creates and writes 2,000 files in a new directory of the big volume, renames half of them into
    /// a 10,000-entry directory of the tree and the other half within their own, and unlinks half of
    /// each; the counts and the survivors' bytes must be the same before and after unmount and remount.
    /// Leaves 1,000 more files and one more directory (<see cref="_expected"/> says so).
    /// </summary>
    [Test, Order(8)]
    public void CreateWriteRenameUnlinkOf2000FilesSurvivesRemount()
    {
        EnsureMounted();
        Assert.That(Directory.Exists(P(ChurnDirectory)), Is.False, "the churn runs once on a volume");
        Timed($"create and write {ChurnFiles:N0} files", () =>
        {
            Directory.CreateDirectory(P(ChurnDirectory));
            for (int k = 0; k < ChurnFiles; k++)
            {
                File.WriteAllBytes(P(ChurnedName(k, renamed: false)), ChurnContent(k));
            }
        });
        Timed($"rename {ChurnFiles:N0} files", () =>
        {
            for (int k = 0; k < ChurnFiles; k++)
            {
                File.Move(P(ChurnedName(k, renamed: false)), P(ChurnedName(k, renamed: true)));
            }
        });
        Timed($"unlink {ChurnFiles / 2:N0} files", () =>
        {
            for (int k = 0; k < ChurnFiles; k++)
            {
                if (!Survives(k))
                {
                    File.Delete(P(ChurnedName(k, renamed: true)));
                }
            }
        });
        _expected = _expected with { Files = _expected.Files + ChurnFiles / 2, Directories = _expected.Directories + 1 };
        AssertChurnedState("before the remount");

        Unmount();
        EnsureMounted();
        AssertChurnedState("after the remount");
        Assert.That(CountByFind(), Is.EqualTo(_expected), "find over the remounted volume");
    }

    private void AssertChurnedState(string when)
    {
        Assert.That(Directory.GetFileSystemEntries(P(CrowdedDirectory)), Has.Length.EqualTo(ScaleTreeShape.DirectoryEntries + ChurnFiles / 4),
            $"{CrowdedDirectory}: its 10,000 files and the 500 churned ones that survive, {when}");
        Assert.That(Directory.GetFileSystemEntries(P(ChurnDirectory)).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(Enumerable.Range(0, ChurnFiles).Where(k => Survives(k) && k % 2 == 1).Select(k => Path.GetFileName(ChurnedName(k, renamed: true)))),
            $"{ChurnDirectory}: the 500 renamed files that survive, {when}");
        var wrong = Enumerable.Range(0, ChurnFiles).Where(k => Survives(k) && k % 10 < 2)
            .Where(k => !File.ReadAllBytes(P(ChurnedName(k, renamed: true))).AsSpan().SequenceEqual(ChurnContent(k)))
            .Select(k => ChurnedName(k, renamed: true))
            .ToList();
        Assert.That(wrong, Is.Empty, $"churned files whose bytes differ, {when}");
    }

    /// <summary>Churned file <paramref name="k"/>'s path: created in <see cref="ChurnDirectory"/>, renamed into <see cref="CrowdedDirectory"/> (even k) or within its own (odd k).</summary>
    private static string ChurnedName(int k, bool renamed)
    {
        string number = k.ToString("D4", CultureInfo.InvariantCulture);
        return !renamed ? $"{ChurnDirectory}/c{number}.dat"
            : k % 2 == 0 ? $"{CrowdedDirectory}/r{number}.dat"
            : $"{ChurnDirectory}/m{number}.dat";
    }

    /// <summary>Half of each half survives the unlinks: k = 2, 3 (mod 4).</summary>
    private static bool Survives(int k) => k % 4 >= 2;

    private static byte[] ChurnContent(int k) => ScaleTreeShape.Content(ChurnNumberBase + k);
}
