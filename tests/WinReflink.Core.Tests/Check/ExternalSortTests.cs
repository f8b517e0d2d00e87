using WinReflink.Core.Check;

namespace WinReflink.Core.Tests.Check;

public class ExternalSortTests
{
    /// <summary>
    /// More runs than one merge takes (so runs are merged into longer ones first): the pairs come back
    /// in key order, all of them, twice, while no more than a run and the merge's buffers are held.
    /// </summary>
    [TestCase(10, 25_000)]
    [TestCase(1000, 999)]
    [TestCase(7, 0)]
    public void SortsAnyNumberOfPairsInRunsOfBoundedSize(int runRows, int pairs)
    {
        var random = new Random(runRows + pairs);
        var added = new List<(long, long)>();
        using var sort = new ExternalSort(runRows, Path.GetTempPath());
        for (int i = 0; i < pairs; i++)
        {
            long key = random.NextInt64(-1000, 1000), value = random.NextInt64();
            sort.Add(key, value);
            added.Add((key, value));
        }
        var first = sort.Sorted().ToList();
        var second = sort.Sorted().ToList();
        Assert.That(first.Select(p => p.Key), Is.Ordered);
        Assert.That(first.Order(), Is.EqualTo(added.Order()));
        Assert.That(second, Is.EqualTo(first));
        Assert.That(sort.PeakRowsHeld, Is.LessThanOrEqualTo(runRows + (long)ExternalSort.MaxFanIn * ExternalSort.ReadBufferPairs));
    }
}
