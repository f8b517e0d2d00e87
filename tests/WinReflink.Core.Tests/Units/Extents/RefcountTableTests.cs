using WinReflink.Core.Extents;

namespace WinReflink.Core.Tests.Units.Extents;

public class RefcountTableTests
{
    private const int Size = 1200;

    [Test]
    public void CloningASingleOwnerRangeCreatesOneRowWithTwoRefs()
    {
        var table = new RefcountTable();
        table.AddReference(10, 5);
        Assert.That(table.All(), Is.EqualTo(new[] { (10L, new SharedRange(5, 2)) }));
        Assert.That(table.RunAt(12, 100), Is.EqualTo((2, 3L)));
        Assert.That(table.RunAt(3, 100), Is.EqualTo((1, 7L)), "no row: one reference, up to the next row");
    }

    [Test]
    public void AddReferenceOverPartOfARowSplitsItAndNeighboursMergeBack()
    {
        var table = new RefcountTable();
        table.AddReference(0, 10);
        table.AddReference(3, 4);
        Assert.That(table.All(), Is.EqualTo(new[]
        {
            (0L, new SharedRange(3, 2)),
            (3L, new SharedRange(4, 3)),
            (7L, new SharedRange(3, 2)),
        }));
        var freed = new List<BlockRange>();
        var unshared = new List<BlockRange>();
        table.DropReference(3, 4, freed, unshared);
        Assert.That(table.All(), Is.EqualTo(new[] { (0L, new SharedRange(10, 2)) }), "back to one row");
        Assert.That(freed, Is.Empty);
        Assert.That(unshared, Is.Empty);
    }

    [Test]
    public void DropReferenceReportsFreedAndUnsharedBlocks()
    {
        var table = new RefcountTable();
        table.AddReference(10, 10);
        var freed = new List<BlockRange>();
        var unshared = new List<BlockRange>();
        // Blocks 5..9 have one owner (no row); 10..14 have two.
        table.DropReference(5, 10, freed, unshared);
        Assert.That(freed, Is.EqualTo(new[] { new BlockRange(5, 5) }));
        Assert.That(unshared, Is.EqualTo(new[] { new BlockRange(10, 5) }));
        Assert.That(table.All(), Is.EqualTo(new[] { (15L, new SharedRange(5, 2)) }));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void RandomReferenceChangesMatchAPerBlockCount(int seed)
    {
        var rng = new Random(seed);
        var table = new RefcountTable();
        var refs = new int[Size];
        for (int step = 0; step < 3000; step++)
        {
            int at = rng.Next(Size);
            int length = Math.Min(Size - at, 1 + rng.Next(rng.Next(2) == 0 ? 6 : 80));
            switch (rng.Next(4))
            {
                case 0:
                    // A new write maps blocks once: no row.
                    for (int b = at; b < at + length; b++)
                    {
                        refs[b] = Math.Max(refs[b], 1);
                    }
                    break;
                case 1:
                {
                    // A clone of a mapped range.
                    length = MappedRun(refs, at, length);
                    if (length == 0)
                    {
                        break;
                    }
                    table.AddReference(at, length);
                    for (int b = at; b < at + length; b++)
                    {
                        refs[b]++;
                    }
                    break;
                }
                case 2:
                {
                    // An unmap (truncate, punch, copy-on-write) of a mapped range.
                    length = MappedRun(refs, at, length);
                    if (length == 0)
                    {
                        break;
                    }
                    var freed = new List<BlockRange>();
                    var unshared = new List<BlockRange>();
                    table.DropReference(at, length, freed, unshared);
                    var expectedFreed = Runs(refs, at, length, r => r == 1);
                    var expectedUnshared = Runs(refs, at, length, r => r == 2);
                    Assert.That(freed, Is.EqualTo(expectedFreed), $"freed by drop {at}+{length}, step {step}");
                    Assert.That(unshared, Is.EqualTo(expectedUnshared), $"unshared by drop {at}+{length}, step {step}");
                    for (int b = at; b < at + length; b++)
                    {
                        refs[b]--;
                    }
                    break;
                }
                default:
                    AssertRunAt(table, refs, at, length, step);
                    break;
            }
            AssertRows(table, refs, step);
        }
    }

    /// <summary>How many blocks from <paramref name="at"/> (at most <paramref name="max"/>) are mapped.</summary>
    private static int MappedRun(int[] refs, int at, int max)
    {
        int n = 0;
        while (n < max && refs[at + n] > 0)
        {
            n++;
        }
        return n;
    }

    private static List<BlockRange> Runs(int[] refs, int from, int count, Func<int, bool> select)
    {
        var runs = new List<BlockRange>();
        for (int b = from; b < from + count;)
        {
            if (!select(refs[b]))
            {
                b++;
                continue;
            }
            int e = b;
            while (e < from + count && select(refs[e]))
            {
                e++;
            }
            runs.Add(new BlockRange(b, e - b));
            b = e;
        }
        return runs;
    }

    private static void AssertRunAt(RefcountTable table, int[] refs, int at, int max, int step)
    {
        static int TableRefs(int r) => r >= 2 ? r : 1;
        int expected = TableRefs(refs[at]);
        int run = 1;
        while (run < max && TableRefs(refs[at + run]) == expected)
        {
            run++;
        }
        Assert.That(table.RunAt(at, max), Is.EqualTo((expected, (long)run)), $"run at {at} max {max}, step {step}");
    }

    /// <summary>
    /// The rows are exactly the maximal runs of blocks with equal refs &gt;= 2: nothing with fewer than two
    /// references is stored, and no two adjacent rows have the same count (they would have been merged).
    /// </summary>
    private static void AssertRows(RefcountTable table, int[] refs, int step)
    {
        var expected = new List<(long, SharedRange)>();
        for (int b = 0; b < Size;)
        {
            if (refs[b] < 2)
            {
                b++;
                continue;
            }
            int e = b;
            while (e < Size && refs[e] == refs[b])
            {
                e++;
            }
            expected.Add((b, new SharedRange(e - b, refs[b])));
            b = e;
        }
        SequenceAssert.AreEqual(table.All(), expected, $"rows after step {step}");
        long shared = refs.Count(r => r >= 2);
        long saved = refs.Where(r => r >= 2).Sum(r => (long)r - 1);
        Assert.That(table.Totals(), Is.EqualTo((shared, saved)), $"totals after step {step}");
    }
}
