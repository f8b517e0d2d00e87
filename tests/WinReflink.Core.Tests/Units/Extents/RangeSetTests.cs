using WinReflink.Core.Extents;

namespace WinReflink.Core.Tests.Units.Extents;

public class RangeSetTests
{
    private const int Size = 2000;

    [Test]
    public void AddMergesWithBothNeighbours()
    {
        var set = new RangeSet();
        set.Add(10, 5);
        set.Add(20, 5);
        set.Add(15, 5);
        Assert.That(set.All(), Is.EqualTo(new[] { new BlockRange(10, 15) }));
        Assert.That(set.TotalBlocks, Is.EqualTo(15));
    }

    [TestCase(10, 5)]
    [TestCase(5, 6)]
    [TestCase(14, 10)]
    [TestCase(0, 100)]
    [TestCase(12, 1)]
    public void AddOfAnOverlappingRangeThrowsAndChangesNothing(long start, long length)
    {
        var set = new RangeSet();
        set.Add(10, 5);
        Assert.That(() => set.Add(start, length), Throws.InvalidOperationException);
        Assert.That(set.All(), Is.EqualTo(new[] { new BlockRange(10, 5) }));
        Assert.That(set.TotalBlocks, Is.EqualTo(5));
    }

    [Test]
    public void RemoveSplitsARange()
    {
        var set = new RangeSet();
        set.Add(0, 100);
        set.Remove(40, 10);
        Assert.That(set.All(), Is.EqualTo(new[] { new BlockRange(0, 40), new BlockRange(50, 50) }));
        set.Remove(30, 30);
        Assert.That(set.All(), Is.EqualTo(new[] { new BlockRange(0, 30), new BlockRange(60, 40) }));
        Assert.That(set.TotalBlocks, Is.EqualTo(70));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void RandomOperationsMatchABitmap(int seed)
    {
        var rng = new Random(seed);
        var set = new RangeSet();
        var reference = new bool[Size];
        for (int step = 0; step < 4000; step++)
        {
            int start = rng.Next(Size);
            int length = Math.Min(Size - start, 1 + rng.Next(rng.Next(2) == 0 ? 8 : 200));
            switch (rng.Next(6))
            {
                case 0:
                    bool overlaps = reference.AsSpan(start, length).Contains(true);
                    if (overlaps)
                    {
                        Assert.That(() => set.Add(start, length), Throws.InvalidOperationException, $"add {start}+{length} at step {step}");
                    }
                    else
                    {
                        set.Add(start, length);
                        reference.AsSpan(start, length).Fill(true);
                    }
                    break;
                case 1:
                    set.AddMissing(start, length);
                    reference.AsSpan(start, length).Fill(true);
                    break;
                case 2:
                case 3:
                    set.Remove(start, length);
                    reference.AsSpan(start, length).Clear();
                    break;
                case 4:
                    AssertQueries(set, reference, start, length, step);
                    break;
                default:
                    AssertTryFindFrom(set, reference, start, step);
                    break;
            }
            if (step % 100 == 0)
            {
                AssertSameSet(set, reference);
            }
        }
        AssertSameSet(set, reference);
    }

    [Test]
    public void TryFindFromWrapsAroundToTheFirstRange()
    {
        var set = new RangeSet();
        Assert.That(set.TryFindFrom(0, out _, out _), Is.False);
        set.Add(5, 3);
        set.Add(50, 10);
        Assert.That(set.TryFindFrom(55, out long s, out long l), Is.True);
        Assert.That((s, l), Is.EqualTo((55L, 5L)), "inside a range: the rest of it");
        Assert.That(set.TryFindFrom(20, out s, out l), Is.True);
        Assert.That((s, l), Is.EqualTo((50L, 10L)), "between ranges: the next one");
        Assert.That(set.TryFindFrom(60, out s, out l), Is.True);
        Assert.That((s, l), Is.EqualTo((5L, 3L)), "past the last range: wraps to the first");
    }

    [Test]
    public void ClearEmptiesTheSetAndReportsEveryRowRemoved()
    {
        var set = new RangeSet();
        set.Load(0, 10);
        set.Load(20, 10);
        set.Clear();
        Assert.That(set.RangeCount, Is.Zero);
        Assert.That(set.TotalBlocks, Is.Zero);
        var removed = new List<long>();
        set.Rows.DrainChanges((key, present, _) =>
        {
            Assert.That(present, Is.False);
            removed.Add(key);
        });
        Assert.That(removed, Is.EquivalentTo(new long[] { 0, 20 }));
    }

    private static void AssertQueries(RangeSet set, bool[] reference, int start, int length, int step)
    {
        bool inside = reference[start];
        int run = 1;
        while (run < length && reference[start + run] == inside)
        {
            run++;
        }
        Assert.That(set.RunAt(start, length), Is.EqualTo((inside, (long)run)), $"run at {start} max {length}, step {step}");
        Assert.That(set.Contains(start), Is.EqualTo(inside));
        Assert.That(set.Overlaps(start, length), Is.EqualTo(reference.AsSpan(start, length).Contains(true)), $"overlaps {start}+{length}, step {step}");
    }

    private static void AssertTryFindFrom(RangeSet set, bool[] reference, int block, int step)
    {
        int first = Array.IndexOf(reference, true, block);
        if (first < 0)
        {
            first = Array.IndexOf(reference, true);
        }
        bool found = set.TryFindFrom(block, out long s, out long l);
        Assert.That(found, Is.EqualTo(first >= 0), $"find from {block}, step {step}");
        if (first >= 0)
        {
            int end = first;
            while (end < Size && reference[end])
            {
                end++;
            }
            Assert.That((s, l), Is.EqualTo(((long)first, (long)(end - first))), $"find from {block}, step {step}");
        }
    }

    private static void AssertSameSet(RangeSet set, bool[] reference)
    {
        var expected = new List<BlockRange>();
        for (int b = 0; b < Size;)
        {
            if (!reference[b])
            {
                b++;
                continue;
            }
            int e = b;
            while (e < Size && reference[e])
            {
                e++;
            }
            expected.Add(new BlockRange(b, e - b));
            b = e;
        }
        // Comparing ranges, not blocks, also checks that neighbours are always merged.
        SequenceAssert.AreEqual(set.All(), expected);
        Assert.That(set.RangeCount, Is.EqualTo(expected.Count));
        Assert.That(set.TotalBlocks, Is.EqualTo(reference.Count(b => b)));
    }
}
