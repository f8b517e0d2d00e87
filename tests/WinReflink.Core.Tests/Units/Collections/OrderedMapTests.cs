using WinReflink.Core.Collections;

namespace WinReflink.Core.Tests.Units.Collections;

public class OrderedMapTests
{
    [Test]
    public void EmptyMapFindsNothing()
    {
        var map = new OrderedMap<int>();
        Assert.Multiple(() =>
        {
            Assert.That(map.Count, Is.Zero);
            Assert.That(map.TryGetValue(5, out _), Is.False);
            Assert.That(map.TryFloor(5, out _, out _), Is.False);
            Assert.That(map.TryCeiling(5, out _, out _), Is.False);
            Assert.That(map.Remove(5), Is.False);
            Assert.That(map.All(), Is.Empty);
        });
    }

    [Test]
    public void SetReplacesTheValueOfAnExistingKey()
    {
        var map = new OrderedMap<string>();
        map.Set(7, "a");
        map.Set(7, "b");
        Assert.That(map.Count, Is.EqualTo(1));
        Assert.That(map.TryGetValue(7, out var v), Is.True);
        Assert.That(v, Is.EqualTo("b"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void RandomOperationsMatchSortedDictionary(int seed)
    {
        var rng = new Random(seed);
        var map = new OrderedMap<long>();
        var reference = new SortedDictionary<long, long>();
        // Keys from 10,000 values, set twice as often as removed: thousands of live keys (dozens of
        // 256-key chunks, so many splits), and every key set, replaced and removed again many times.
        const int keySpace = 10_000;
        for (int step = 0; step < 30_000; step++)
        {
            long key = rng.Next(keySpace) - keySpace / 4;
            int op = rng.Next(10);
            if (op < 6)
            {
                long value = rng.NextInt64();
                map.Set(key, value);
                reference[key] = value;
            }
            else if (op < 9)
            {
                Assert.That(map.Remove(key), Is.EqualTo(reference.Remove(key)), $"remove {key} at step {step}");
            }
            else
            {
                AssertLookups(map, reference, key, -keySpace / 4, keySpace - keySpace / 4);
            }
            if (step % 5000 == 0)
            {
                AssertSameContents(map, reference);
            }
        }
        AssertSameContents(map, reference);
        for (int i = 0; i < 2000; i++)
        {
            AssertLookups(map, reference, rng.Next(keySpace + 200) - keySpace / 4 - 100, -keySpace / 4, keySpace - keySpace / 4);
        }
        AssertRanges(map, reference, rng);
    }

    [Test]
    public void AscendingAndDescendingInsertsSplitChunksCorrectly()
    {
        var map = new OrderedMap<long>();
        var reference = new SortedDictionary<long, long>();
        for (long k = 0; k < 3000; k++)
        {
            map.Set(k * 2, k);
            reference[k * 2] = k;
            map.Set(-k * 2 - 1, -k);
            reference[-k * 2 - 1] = -k;
        }
        AssertSameContents(map, reference);
        var rng = new Random(4);
        for (int i = 0; i < 3000; i++)
        {
            AssertLookups(map, reference, rng.Next(-7000, 7000), -6000, 6000);
        }
    }

    [Test]
    public void RemovingWholeChunksKeepsLookupsRight()
    {
        var map = new OrderedMap<long>();
        var reference = new SortedDictionary<long, long>();
        for (long k = 0; k < 5000; k++)
        {
            map.Set(k * 10, k);
            reference[k * 10] = k;
        }
        // Empty whole stretches (several chunks each), from the front, the middle and the back.
        foreach (var (from, to) in new[] { (0L, 8000L), (20_000L, 32_000L), (45_000L, 50_000L) })
        {
            foreach (long k in reference.Keys.Where(k => k >= from && k < to).ToList())
            {
                Assert.That(map.Remove(k), Is.True);
                reference.Remove(k);
            }
        }
        AssertSameContents(map, reference);
        var rng = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            AssertLookups(map, reference, rng.Next(-100, 50_100), 0, 50_000);
        }
        foreach (long k in reference.Keys.ToList())
        {
            map.Remove(k);
        }
        Assert.That(map.Count, Is.Zero);
        Assert.That(map.TryFloor(long.MaxValue, out _, out _), Is.False);
        map.Set(3, 3);
        Assert.That(map.All().Select(kv => kv.Key), Has.Exactly(1).EqualTo(3L));
    }

    /// <summary>One map per file: a small map must cost what it holds, not a full 256-entry chunk (about 9 KiB per file once).</summary>
    [Test]
    public void ASmallMapHoldsRoomForItsEntriesOnly()
    {
        var map = new OrderedMap<long>();
        map.Set(10, 1);
        Assert.That(map.AllocatedSlots, Is.EqualTo(1));
        map.Set(5, 2);
        map.Set(20, 3);
        Assert.That(map.AllocatedSlots, Is.EqualTo(4), "room doubles as entries arrive");
    }

    [Test]
    public void AscendingInsertsFillTheirChunks()
    {
        var map = new OrderedMap<long>();
        for (long k = 0; k < 10_000; k++)
        {
            map.Set(k, k);
        }
        // Appends open a new chunk instead of splitting a full one in half: only the last chunk has room to spare.
        Assert.That(map.AllocatedSlots, Is.LessThan(10_000 + 256));
        Assert.That(map.TryFloor(9_999, out long key, out long value) && key == 9_999 && value == 9_999, Is.True);
    }

    [Test]
    public void ClearEmptiesTheMap()
    {
        var map = new OrderedMap<int>();
        for (int i = 0; i < 1000; i++)
        {
            map.Set(i, i);
        }
        map.Clear();
        Assert.That(map.Count, Is.Zero);
        Assert.That(map.TryCeiling(long.MinValue, out _, out _), Is.False);
        map.Set(1, 1);
        Assert.That(map.Count, Is.EqualTo(1));
    }

    /// <summary>Checks get, floor and ceiling of one key; every key of the reference lies in [lo, hi).</summary>
    private static void AssertLookups(OrderedMap<long> map, SortedDictionary<long, long> reference, long key, long lo, long hi)
    {
        bool has = reference.TryGetValue(key, out long expected);
        Assert.That(map.TryGetValue(key, out long got), Is.EqualTo(has), $"get {key}");
        if (has)
        {
            Assert.That(got, Is.EqualTo(expected), $"get {key}");
        }
        Assert.That(map.ContainsKey(key), Is.EqualTo(has));

        long floor = Math.Min(key, hi - 1);
        while (floor >= lo && !reference.ContainsKey(floor))
        {
            floor--;
        }
        bool hasFloor = floor >= lo;
        Assert.That(map.TryFloor(key, out long fk, out long fv), Is.EqualTo(hasFloor), $"floor {key}");
        if (hasFloor)
        {
            Assert.That((fk, fv), Is.EqualTo((floor, reference[floor])), $"floor {key}");
        }

        long ceiling = Math.Max(key, lo);
        while (ceiling < hi && !reference.ContainsKey(ceiling))
        {
            ceiling++;
        }
        bool hasCeiling = ceiling < hi;
        Assert.That(map.TryCeiling(key, out long ck, out long cv), Is.EqualTo(hasCeiling), $"ceiling {key}");
        if (hasCeiling)
        {
            Assert.That((ck, cv), Is.EqualTo((ceiling, reference[ceiling])), $"ceiling {key}");
        }
    }

    private static void AssertRanges(OrderedMap<long> map, SortedDictionary<long, long> reference, Random rng)
    {
        for (int i = 0; i < 200; i++)
        {
            long from = rng.Next(-3000, 8000);
            long to = from + rng.Next(0, 3000);
            var expected = reference.Where(kv => kv.Key >= from && kv.Key < to).ToList();
            SequenceAssert.AreEqual(map.Range(from, to), expected, $"range [{from}, {to})");
            SequenceAssert.AreEqual(map.Snapshot(from, to), expected, $"snapshot [{from}, {to})");
        }
    }

    private static void AssertSameContents(OrderedMap<long> map, SortedDictionary<long, long> reference)
    {
        Assert.That(map.Count, Is.EqualTo(reference.Count));
        SequenceAssert.AreEqual(map.All(), reference);
    }
}
