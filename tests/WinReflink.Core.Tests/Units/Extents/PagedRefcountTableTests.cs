using WinReflink.Core.Extents;

namespace WinReflink.Core.Tests.Units.Extents;

/// <summary>
/// The refcount table paged by segment (issue 11) against a stored table that, like meta.db read by
/// the read-only connection, holds the last durable commit: a capture takes the changes, and only the
/// durable commit after it lands them. Each test looks at rows where segments meet.
/// </summary>
public class PagedRefcountTableTests
{
    private const long S = RefcountTable.SegmentBlocks;

    /// <summary>meta.db's shared table as of the last durable commit, with the captured commit not yet durable.</summary>
    private sealed class DurableRows : IStoredSharedRanges
    {
        public readonly SortedDictionary<long, SharedRange> Rows = new();
        private readonly List<(long Start, bool Present, SharedRange Range)> _captured = new();

        public void Read(long from, long to, List<(long Start, SharedRange Range)> rows) =>
            rows.AddRange(Rows.Where(kv => kv.Key >= from && kv.Key < to).Select(kv => (kv.Key, kv.Value)));

        public bool TryLastBefore(long block, out long start, out SharedRange range)
        {
            var before = Rows.Where(kv => kv.Key < block).ToList();
            (start, range) = before.Count > 0 ? (before[^1].Key, before[^1].Value) : (0, default);
            return before.Count > 0;
        }

        /// <summary>The commit's capture: the table's changes are taken, not yet durable.</summary>
        public void Capture(RefcountTable table) => table.DrainChanges((start, present, range) => _captured.Add((start, present, range)));

        /// <summary>The captured commit lands.</summary>
        public void MakeDurable(RefcountTable table)
        {
            foreach (var (start, present, range) in _captured)
            {
                if (present)
                {
                    Rows[start] = range;
                }
                else
                {
                    Rows.Remove(start);
                }
            }
            _captured.Clear();
            table.Durable();
        }

        public void Commit(RefcountTable table)
        {
            Capture(table);
            MakeDurable(table);
        }

        /// <summary>A table opened on these rows, as open makes it: nothing resident.</summary>
        public RefcountTable Open(long budget = 0)
        {
            long shared = Rows.Values.Sum(r => r.Length), saved = Rows.Values.Sum(r => r.Length * (r.Refs - 1));
            return new RefcountTable(shared, saved, this, budget);
        }
    }

    [Test]
    public void ARowReachingIntoALaterSegmentIsFoundFromThere()
    {
        var stored = new DurableRows();
        stored.Rows[S - 10] = new SharedRange(3 * S, 2);
        var table = stored.Open();
        Assert.That(table.RunAt(2 * S + 5, 10), Is.EqualTo((2, 10L)), "the row from segment 0 covers segment 2");
        Assert.That(table.RunAt(4 * S - 10, 100), Is.EqualTo((1, 100L)), "it ends where it says");
        Assert.That(table.RunAt(4 * S - 20, 100), Is.EqualTo((2, 10L)));
        Assert.That(table.ResidentRows, Is.EqualTo(1), "loaded once, though three segments asked for it");
    }

    [Test]
    public void ASplitAtASegmentBoundaryIsStoredAndReadBack()
    {
        var stored = new DurableRows();
        stored.Rows[S - 10] = new SharedRange(20, 2);
        var table = stored.Open();
        table.AddReference(S, 5);
        stored.Commit(table);
        Assert.That(stored.Rows, Is.EqualTo(new SortedDictionary<long, SharedRange>
        {
            [S - 10] = new(10, 2),
            [S] = new(5, 3),
            [S + 5] = new(5, 2),
        }));
        var reopened = stored.Open();
        Assert.That(reopened.RunAt(S - 10, 100), Is.EqualTo((2, 10L)));
        Assert.That(reopened.RunAt(S + 2, 100), Is.EqualTo((3, 3L)));
        Assert.That(reopened.Totals(), Is.EqualTo((20L, 25L)));
        Assert.That(table.Totals(), Is.EqualTo((20L, 25L)), "the totals followed the split");
    }

    [Test]
    public void RowsMergedAcrossASegmentBoundaryBecomeOneRowOfTheFirstSegment()
    {
        var stored = new DurableRows();
        stored.Rows[S - 5] = new SharedRange(5, 2);
        stored.Rows[S] = new SharedRange(5, 3);
        var table = stored.Open();
        table.DropReference(S, 5, new List<BlockRange>(), new List<BlockRange>());
        stored.Commit(table);
        Assert.That(stored.Rows, Is.EqualTo(new SortedDictionary<long, SharedRange> { [S - 5] = new(10, 2) }));
        var reopened = stored.Open();
        Assert.That(reopened.RunAt(S + 2, 100), Is.EqualTo((2, 3L)), "segment 1 finds the merged row starting in segment 0");
    }

    [Test]
    public void ASpanningRowDroppedToOneReferenceLeavesNothingBehind()
    {
        var stored = new DurableRows();
        stored.Rows[S - 2] = new SharedRange(S + 4, 2);
        var table = stored.Open();
        var freed = new List<BlockRange>();
        var unshared = new List<BlockRange>();
        table.DropReference(S - 2, S + 4, freed, unshared);
        Assert.That(unshared, Is.EqualTo(new[] { new BlockRange(S - 2, S + 4) }));
        Assert.That(freed, Is.Empty);
        table.Trim();
        Assert.That(table.RunAt(2 * S, 1), Is.EqualTo((1, 1L)), "the row is gone while its segment waits for the commit");
        stored.Commit(table);
        table.Trim();
        Assert.That(stored.Rows, Is.Empty);
        Assert.That(table.Totals(), Is.EqualTo((0L, 0L)));
        Assert.That(table.RunAt(S, 10), Is.EqualTo((1, 10L)), "read again after the durable commit: nothing");
    }

    [Test]
    public void ASegmentChangedSinceTheLastDurableCommitStaysResident()
    {
        var stored = new DurableRows();
        stored.Rows[5 * S] = new SharedRange(4, 2);
        var table = stored.Open();
        table.AddReference(5 * S, 4);
        table.Trim();
        Assert.That(table.ResidentSegments, Is.EqualTo(1), "changed in the running transaction");
        stored.Capture(table);
        table.Trim();
        Assert.That(table.ResidentSegments, Is.EqualTo(1), "captured, but its commit is not durable");
        Assert.That(table.RunAt(5 * S, 4), Is.EqualTo((3, 4L)), "meta.db still says 2");
        stored.MakeDurable(table);
        table.Trim();
        Assert.That(table.ResidentSegments, Is.Zero);
        Assert.That(table.RunAt(5 * S, 4), Is.EqualTo((3, 4L)), "read again from the durable commit");
        Assert.That(table.SegmentStatistics, Is.EqualTo((3L, 2L)), "segments 4 and 5 read in one query, 4 dropped at once, 5 once durable, then 5 read again");
    }

    /// <summary>
    /// Random clones and unmaps over five segments, with long ranges so rows span boundaries, on a
    /// paged table that keeps nothing it may drop, against a table loaded whole: after every step each
    /// block's count agrees, commits land in two stages with steps between, and the stored rows equal the
    /// whole table's after each durable commit.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void ReadingSegmentsAgainAfterDroppingThemGivesTheSameCounts(int seed)
    {
        const int size = (int)(5 * S);
        var rng = new Random(seed);
        var stored = new DurableRows();
        var paged = stored.Open();
        var whole = new RefcountTable();
        var refs = new int[size];
        // The rows as the commit being written has them, while it is not durable.
        List<(long Start, SharedRange Range)>? atCapture = null;
        for (int step = 0; step < 300; step++)
        {
            int at = rng.Next(size);
            int length = Math.Min(size - at, 1 + rng.Next(rng.Next(3) == 0 ? 3000 : 40));
            int mapped = 0;
            while (mapped < length && refs[at + mapped] > 0)
            {
                mapped++;
            }
            switch (rng.Next(3))
            {
                case 0:
                    for (int b = at; b < at + length; b++)
                    {
                        refs[b] = Math.Max(refs[b], 1);
                    }
                    break;
                case 1 when mapped > 0:
                    paged.AddReference(at, mapped);
                    whole.AddReference(at, mapped);
                    for (int b = at; b < at + mapped; b++)
                    {
                        refs[b]++;
                    }
                    break;
                case 2 when mapped > 0:
                    var (pagedFreed, pagedUnshared) = (new List<BlockRange>(), new List<BlockRange>());
                    var (wholeFreed, wholeUnshared) = (new List<BlockRange>(), new List<BlockRange>());
                    paged.DropReference(at, mapped, pagedFreed, pagedUnshared);
                    whole.DropReference(at, mapped, wholeFreed, wholeUnshared);
                    Assert.That(pagedFreed, Is.EqualTo(wholeFreed), $"freed at step {step}");
                    Assert.That(pagedUnshared, Is.EqualTo(wholeUnshared), $"unshared at step {step}");
                    for (int b = at; b < at + mapped; b++)
                    {
                        refs[b]--;
                    }
                    break;
            }
            if (rng.Next(4) == 0)
            {
                if (atCapture != null)
                {
                    stored.MakeDurable(paged);
                    Assert.That(stored.Rows.Select(kv => (kv.Key, kv.Value)), Is.EqualTo(atCapture), $"stored rows after the commit at step {step}");
                    atCapture = null;
                }
                else
                {
                    stored.Capture(paged);
                    atCapture = whole.All().ToList();
                }
            }
            paged.Trim();
            Assert.That(paged.Totals(), Is.EqualTo(whole.Totals()), $"totals at step {step}");
            for (int b = 0; b < size; b += 1 + rng.Next(64))
            {
                int max = 1 + rng.Next(size - b);
                Assert.That(paged.RunAt(b, max), Is.EqualTo(whole.RunAt(b, max)), $"run at {b} (max {max}) after step {step}");
                paged.Trim();
            }
        }
        var (loaded, evicted) = paged.SegmentStatistics;
        Assert.That(evicted, Is.GreaterThan(100), "segments were dropped");
        Assert.That(loaded, Is.GreaterThan(evicted), "and read again");
    }
}
