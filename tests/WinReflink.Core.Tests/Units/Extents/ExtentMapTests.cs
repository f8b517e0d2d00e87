using WinReflink.Core.Extents;

namespace WinReflink.Core.Tests.Units.Extents;

public class ExtentMapTests
{
    private const int Size = 1500;

    /// <summary>What one logical block maps to; Physical &lt; 0 is a hole.</summary>
    private readonly record struct Mapping(long Physical, bool Unwritten)
    {
        public static readonly Mapping Hole = new(-1, false);
        public bool IsHole => Physical < 0;
    }

    [Test]
    public void InsertMergesLogicallyAndPhysicallyContiguousNeighbours()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 4, false));
        map.Insert(new Extent(8, 108, 4, false));
        map.Insert(new Extent(4, 104, 4, false));
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(0, 100, 12, false) }));
        Assert.That(map.Count, Is.EqualTo(1));
        Assert.That(map.MappedBlocks, Is.EqualTo(12));
    }

    [Test]
    public void InsertDoesNotMergeWhenOnlyLogicallyContiguous()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 4, false));
        map.Insert(new Extent(4, 200, 4, false));
        map.Insert(new Extent(8, 204, 4, false));
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(0, 100, 4, false), new Extent(4, 200, 8, false) }));
    }

    [Test]
    public void InsertDoesNotMergeAcrossAnUnwrittenFlagChange()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 4, false));
        map.Insert(new Extent(8, 108, 4, false));
        map.Insert(new Extent(4, 104, 4, true));
        Assert.That(map.All(), Is.EqualTo(new[]
        {
            new Extent(0, 100, 4, false),
            new Extent(4, 104, 4, true),
            new Extent(8, 108, 4, false),
        }));
    }

    [Test]
    public void RemoveInTheMiddleSplitsAnExtent()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(10, 500, 20, false));
        var removed = map.Remove(15, 5);
        Assert.That(removed, Is.EqualTo(new[] { new Extent(15, 505, 5, false) }));
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(10, 500, 5, false), new Extent(20, 510, 10, false) }));
        Assert.That(map.MappedBlocks, Is.EqualTo(15));
        map.Insert(new Extent(15, 505, 5, false));
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(10, 500, 20, false) }), "refilling the hole merges all three");
    }

    [Test]
    public void RemoveAcrossSeveralExtentsTrimsBothEnds()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 10, false));
        map.Insert(new Extent(20, 300, 10, true));
        map.Insert(new Extent(40, 500, 10, false));
        var removed = map.Remove(5, 40);
        Assert.That(removed, Is.EqualTo(new[]
        {
            new Extent(5, 105, 5, false),
            new Extent(20, 300, 10, true),
            new Extent(40, 500, 5, false),
        }));
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(0, 100, 5, false), new Extent(45, 505, 5, false) }));
        Assert.That(map.MappedBlocks, Is.EqualTo(10));
        Assert.That(map.EndBlock(), Is.EqualTo(50));
    }

    [Test]
    public void RemovingAHoleReturnsNothing()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 10, false));
        Assert.That(map.Remove(10, 100), Is.Empty);
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(0, 100, 10, false) }));
    }

    [Test]
    public void AnEmptyRangeHasNoPiecesAndRemovingItChangesNothing()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 10, false));
        map.DrainChanges((_, _, _) => { });
        Assert.That(map.Pieces(5, 0), Is.Empty);
        Assert.That(map.Remove(5, 0), Is.Empty);
        Assert.That(map.All(), Is.EqualTo(new[] { new Extent(0, 100, 10, false) }), "not split at block 5");
        Assert.That(map.MappedBlocks, Is.EqualTo(10));
        int changes = 0;
        map.DrainChanges((_, _, _) => changes++);
        Assert.That(changes, Is.Zero);
    }

    /// <summary>Stored rows of one file, counting the reads of them.</summary>
    private sealed class StoredRows(params Extent[] extents) : IStoredExtents
    {
        public int Reads { get; private set; }

        public void Read(long ino, Action<long, ExtentValue> row)
        {
            Reads++;
            foreach (var e in extents)
            {
                row(e.Logical, new ExtentValue(e.Physical, e.Length, e.Unwritten));
            }
        }
    }

    private static ExtentMap StoredMap(StoredRows stored, long blocks)
    {
        var map = new ExtentMap();
        map.LoadBlocks(blocks);
        map.Attach(stored, 7, loaded: false);
        return map;
    }

    private static readonly Extent[] TwoExtents = [new(0, 100, 4, false), new(10, 200, 2, true)];

    [Test]
    public void AStoredMapKnowsItsBlocksWithoutItsRowsAndEveryReadLoadsThemOnce()
    {
        var reads = new (string What, Action<ExtentMap> Use)[]
        {
            ("TryFind", m => Assert.That(m.TryFind(11, 1, out var e, out _) && e.Unwritten, Is.True)),
            ("Pieces", m => Assert.That(m.Pieces(0, 20), Has.Count.EqualTo(2))),
            ("All", m => Assert.That(m.All(), Is.EqualTo(TwoExtents))),
            ("EndBlock", m => Assert.That(m.EndBlock(), Is.EqualTo(12))),
            ("Count", m => Assert.That(m.Count, Is.EqualTo(2))),
            ("StoredCount", m => Assert.That(m.StoredCount, Is.EqualTo(2))),
            ("Remove", m => m.Remove(2, 1)),
            ("Insert", m => m.Insert(new Extent(5, 300, 1, false))),
        };
        foreach (var (what, use) in reads)
        {
            var stored = new StoredRows(TwoExtents);
            var map = StoredMap(stored, 6);
            Assert.That((map.MappedBlocks, map.IsLoaded, map.LoadedCount, map.PendingCountChange), Is.EqualTo((6L, false, 0, 0)), what);
            int drained = 0;
            map.DrainChanges((_, _, _) => drained++);
            Assert.That((drained, stored.Reads), Is.EqualTo((0, 0)), $"{what}: the capture of an inode whose map is not loaded reads nothing");
            use(map);
            use(map);
            Assert.That(stored.Reads, Is.EqualTo(1), $"{what} loads the map, once");
            Assert.That(map.IsLoaded, Is.True);
        }
    }

    [Test]
    public void OnlyACleanMapIsDroppedAndItIsReadAgainAsStored()
    {
        var stored = new StoredRows(TwoExtents);
        var map = StoredMap(stored, 6);
        map.Insert(new Extent(20, 400, 3, false));
        Assert.That(map.DropClean(), Is.Zero, "changes not captured: kept");
        Assert.That(map.IsLoaded, Is.True);
        map.DrainChanges((_, _, _) => { });
        Assert.That(map.DropClean(), Is.Zero, "its row count not captured: kept");
        Assert.That(map.TakeCountChange(), Is.EqualTo(1));
        Assert.That(map.DropClean(), Is.EqualTo(3), "clean: dropped");
        Assert.That((map.IsLoaded, map.MappedBlocks), Is.EqualTo((false, 9L)), "the count stays");
        // The store here still holds the first two rows: what is read again is what the store has.
        Assert.That(map.All(), Is.EqualTo(TwoExtents));
        Assert.That(stored.Reads, Is.EqualTo(2));
    }

    [Test]
    public void AMapWithoutAStoreIsNeverDropped()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(0, 100, 4, false));
        map.DrainChanges((_, _, _) => { });
        map.TakeCountChange();
        Assert.That(map.DropClean(), Is.Zero);
        Assert.That(map.All(), Has.Exactly(1).Items);
    }

    [Test]
    public void TryFindReportsTheExtentOrTheHoleRun()
    {
        var map = new ExtentMap();
        map.Insert(new Extent(10, 100, 5, false));
        Assert.That(map.TryFind(12, 100, out var e, out long hole), Is.True);
        Assert.That((e, hole), Is.EqualTo((new Extent(10, 100, 5, false), 0L)));
        Assert.That(map.TryFind(3, 100, out _, out hole), Is.False);
        Assert.That(hole, Is.EqualTo(7));
        Assert.That(map.TryFind(3, 4, out _, out hole), Is.False);
        Assert.That(hole, Is.EqualTo(4));
        Assert.That(map.TryFind(15, 100, out _, out hole), Is.False);
        Assert.That(hole, Is.EqualTo(100), "no extent after: the whole allowance is hole");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void RandomInsertsAndRemovesMatchAPerBlockArray(int seed)
    {
        var rng = new Random(seed);
        var map = new ExtentMap();
        var reference = new Mapping[Size];
        Array.Fill(reference, Mapping.Hole);
        for (int step = 0; step < 3000; step++)
        {
            int at = rng.Next(Size);
            switch (rng.Next(5))
            {
                case 0:
                case 1:
                    InsertIntoHole(map, reference, at, rng);
                    break;
                case 2:
                {
                    int count = Math.Min(Size - at, 1 + rng.Next(rng.Next(2) == 0 ? 5 : 120));
                    var expected = Runs(reference, at, count);
                    Assert.That(map.Pieces(at, count), Is.EqualTo(expected), $"pieces {at}+{count}, step {step}");
                    Assert.That(map.Remove(at, count), Is.EqualTo(expected), $"remove {at}+{count}, step {step}");
                    reference.AsSpan(at, count).Fill(Mapping.Hole);
                    break;
                }
                case 3:
                {
                    int count = Math.Min(Size - at, 1 + rng.Next(200));
                    Assert.That(map.Pieces(at, count), Is.EqualTo(Runs(reference, at, count)), $"pieces {at}+{count}, step {step}");
                    break;
                }
                default:
                    AssertTryFind(map, reference, at, 1 + rng.Next(300), step);
                    break;
            }
            if (step % 50 == 0)
            {
                AssertSameMap(map, reference);
            }
        }
        AssertSameMap(map, reference);
    }

    /// <summary>
    /// Maps the hole around <paramref name="at"/> (or part of it). The physical start often continues a
    /// neighbour, physically and logically, so merges happen; the unwritten flag sometimes differs from it.
    /// </summary>
    private static void InsertIntoHole(ExtentMap map, Mapping[] reference, int at, Random rng)
    {
        if (!reference[at].IsHole)
        {
            return;
        }
        int holeStart = at, holeEnd = at;
        while (holeStart > 0 && reference[holeStart - 1].IsHole)
        {
            holeStart--;
        }
        while (holeEnd < Size && reference[holeEnd].IsHole)
        {
            holeEnd++;
        }
        int start = rng.Next(2) == 0 ? holeStart : at;
        int length = 1 + rng.Next(Math.Min(holeEnd - start, rng.Next(2) == 0 ? 4 : 100));
        if (rng.Next(2) == 0)
        {
            length = holeEnd - start;
        }
        bool unwritten = rng.Next(4) == 0;
        long physical = rng.Next(3) switch
        {
            0 when start > 0 && !reference[start - 1].IsHole => reference[start - 1].Physical + 1,
            1 when start + length < Size && !reference[start + length].IsHole => reference[start + length].Physical - length,
            _ => 10_000 + rng.Next(100_000),
        };
        if (rng.Next(3) > 0)
        {
            unwritten = start > 0 && !reference[start - 1].IsHole ? reference[start - 1].Unwritten : unwritten;
        }
        map.Insert(new Extent(start, physical, length, unwritten));
        for (int i = 0; i < length; i++)
        {
            reference[start + i] = new Mapping(physical + i, unwritten);
        }
    }

    /// <summary>The maximal runs of blocks in [from, from+count) that continue each other logically, physically and in flag.</summary>
    private static List<Extent> Runs(Mapping[] reference, int from, int count)
    {
        var runs = new List<Extent>();
        int end = from + count;
        for (int b = from; b < end;)
        {
            if (reference[b].IsHole)
            {
                b++;
                continue;
            }
            int e = b + 1;
            while (e < end && !reference[e].IsHole && reference[e].Physical == reference[e - 1].Physical + 1
                   && reference[e].Unwritten == reference[b].Unwritten)
            {
                e++;
            }
            runs.Add(new Extent(b, reference[b].Physical, e - b, reference[b].Unwritten));
            b = e;
        }
        return runs;
    }

    private static void AssertTryFind(ExtentMap map, Mapping[] reference, int at, int max, int step)
    {
        bool mapped = !reference[at].IsHole;
        Assert.That(map.TryFind(at, max, out var extent, out long hole), Is.EqualTo(mapped), $"find {at}, step {step}");
        if (mapped)
        {
            var whole = Runs(reference, 0, Size).Single(r => r.Logical <= at && at < r.LogicalEnd);
            Assert.That(extent, Is.EqualTo(whole), $"find {at}, step {step}");
            Assert.That(hole, Is.Zero);
        }
        else
        {
            int next = at;
            while (next < Size && reference[next].IsHole)
            {
                next++;
            }
            long expected = next < Size ? Math.Min(max, next - at) : max;
            Assert.That(hole, Is.EqualTo(expected), $"hole run at {at} max {max}, step {step}");
        }
    }

    private static void AssertSameMap(ExtentMap map, Mapping[] reference)
    {
        // The whole map equals the maximal runs: every merge that could happen did.
        var runs = Runs(reference, 0, Size);
        SequenceAssert.AreEqual(map.All(), runs);
        Assert.That(map.Count, Is.EqualTo(runs.Count));
        Assert.That(map.MappedBlocks, Is.EqualTo(reference.Count(m => !m.IsHole)));
        Assert.That(map.EndBlock(), Is.EqualTo(Array.FindLastIndex(reference, m => !m.IsHole) + 1));
    }
}
