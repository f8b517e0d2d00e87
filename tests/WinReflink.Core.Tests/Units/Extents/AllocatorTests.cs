using WinReflink.Core.Extents;

namespace WinReflink.Core.Tests.Units.Extents;

public class AllocatorTests
{
    private static Allocator Empty(long capacity)
    {
        var allocator = new Allocator(capacity);
        allocator.Free.Load(0, capacity);
        return allocator;
    }

    [Test]
    public void AllocatesContiguouslyAtTheGoalWhenItIsFree()
    {
        var allocator = Empty(1000);
        Assert.That(allocator.TryAllocate(100, 10, out var a), Is.True);
        Assert.That(a, Is.EqualTo(new BlockRange(100, 10)));
        Assert.That(allocator.TryAllocate(a.End, 10, out var b), Is.True);
        Assert.That(b, Is.EqualTo(new BlockRange(110, 10)), "the next allocation continues the first");
        Assert.That(allocator.FreeBlocks, Is.EqualTo(980));
    }

    [Test]
    public void WhenTheGoalIsTakenItAllocatesFromTheNextFreeRange()
    {
        var allocator = Empty(1000);
        Assert.That(allocator.TryAllocate(0, 300, out _), Is.True);
        Assert.That(allocator.TryAllocate(400, 100, out _), Is.True);
        Assert.That(allocator.TryAllocate(450, 20, out var got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(500, 20)), "goal inside 400..499: next free range after it");
        Assert.That(allocator.TryAllocate(100, 20, out got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(300, 20)));
    }

    [Test]
    public void AllocationIsCutAtTheEndOfTheFreeRange()
    {
        var allocator = Empty(1000);
        Assert.That(allocator.TryAllocate(0, 100, out _), Is.True);
        Assert.That(allocator.TryAllocate(200, 800, out _), Is.True);
        Assert.That(allocator.TryAllocate(50, 500, out var got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(100, 100)), "at most the free run, never more");
    }

    [Test]
    public void AllocationWrapsAroundToTheStart()
    {
        var allocator = Empty(1000);
        Assert.That(allocator.TryAllocate(0, 10, out _), Is.True);
        Assert.That(allocator.TryAllocate(10, 990, out _), Is.True);
        allocator.Unallocate(3, 4);
        Assert.That(allocator.TryAllocate(900, 10, out var got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(3, 4)));
        Assert.That(allocator.TryAllocate(0, 1, out _), Is.False, "nothing free");
    }

    [TestCase(-5L)]
    [TestCase(5000L)]
    public void GoalsOutsideTheVolumeAreClamped(long goal)
    {
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(goal, 5, out var got), Is.True);
        Assert.That(got.Start, Is.GreaterThanOrEqualTo(0));
        Assert.That(got.End, Is.LessThanOrEqualTo(100));
        Assert.That(got.Length, Is.InRange(1, 5));
        Assert.That(allocator.FreeBlocks, Is.EqualTo(100 - got.Length));
    }

    [Test]
    public void NoAllocationOfZeroBlocks()
    {
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(0, 0, out _), Is.False);
        Assert.That(allocator.FreeBlocks, Is.EqualTo(100));
    }

    [Test]
    public void ReleasedBlocksStayBusyUntilTheirCommitIsDurable()
    {
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(0, 100, out _), Is.True);
        allocator.Release(20, 10);
        Assert.That(allocator.BusyBlocks, Is.EqualTo(10));
        Assert.That(allocator.FreeBlocks, Is.Zero);
        Assert.That(allocator.TryAllocate(20, 1, out _), Is.False, "busy blocks of the running transaction are not allocatable");
        allocator.FenceBusy();
        Assert.That(allocator.Free.All(), Is.EqualTo(new[] { new BlockRange(20, 10) }), "the commit being written has them free");
        Assert.That((allocator.BusyBlocks, allocator.FencedBlocks, allocator.FreeBlocks), Is.EqualTo((0L, 10L, 0L)));
        allocator.Release(50, 5);
        Assert.That(allocator.TryAllocate(0, 50, out _), Is.False, "fenced blocks are not allocatable until their commit is durable");
        allocator.LiftFence();
        Assert.That(allocator.BusyBlocks, Is.EqualTo(5), "blocks freed while the commit was written wait for the next one");
        Assert.That(allocator.FreeBlocks, Is.EqualTo(10));
        Assert.That(allocator.TryAllocate(0, 50, out var got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(20, 10)));
    }

    [Test]
    public void FreeingABlockTwiceIsRefused()
    {
        // A double free would let two files be handed the same block; the sets refuse overlapping adds.
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(0, 50, out _), Is.True);
        allocator.Release(10, 5);
        Assert.That(() => allocator.Release(12, 1), Throws.InvalidOperationException);
        Assert.That(() => allocator.Unallocate(60, 1), Throws.InvalidOperationException, "block 60 is already free");
        Assert.That(allocator.BusyBlocks, Is.EqualTo(5));
        Assert.That(allocator.FreeBlocks, Is.EqualTo(50));
    }

    [Test]
    public void RetiredBlocksMergeWithFreeNeighboursAndBecomeFreeRows()
    {
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(0, 50, out _), Is.True);
        allocator.Free.Rows.ForgetChanges();
        allocator.Release(40, 10);
        allocator.Release(10, 5);
        allocator.FenceBusy();
        allocator.LiftFence();
        Assert.That(allocator.Free.All(), Is.EqualTo(new[] { new BlockRange(10, 5), new BlockRange(40, 60) }));
        Assert.That(allocator.Busy.Rows.HasChanges, Is.False, "busy extents are never stored");
        var changed = new Dictionary<long, bool>();
        allocator.Free.Rows.DrainChanges((start, present, _) => changed[start] = present);
        Assert.That(changed, Is.EquivalentTo(new Dictionary<long, bool> { [10] = true, [40] = true, [50] = false }));
    }

    [Test]
    public void AllocationSkipsFencedRunsInsideAFreeRangeAndWrapsAround()
    {
        var allocator = Empty(100);
        Assert.That(allocator.TryAllocate(0, 100, out _), Is.True);
        allocator.Release(10, 10);
        allocator.FenceBusy();
        allocator.Unallocate(20, 10);
        Assert.That(allocator.Free.All(), Is.EqualTo(new[] { new BlockRange(10, 20) }), "one free range, its first half fenced");
        Assert.That(allocator.TryAllocate(5, 5, out var got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(20, 5)), "the fenced half is skipped");
        Assert.That(allocator.TryAllocate(90, 10, out got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(25, 5)), "the search wraps around and skips the fence again");
        Assert.That(allocator.TryAllocate(0, 1, out _), Is.False, "only fenced blocks are left, and the search ends");
        allocator.LiftFence();
        Assert.That(allocator.TryAllocate(0, 1, out got), Is.True);
        Assert.That(got, Is.EqualTo(new BlockRange(10, 1)));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void RandomAllocationsNeverHandOutABlockTwice(int seed)
    {
        const int capacity = 3000;
        var rng = new Random(seed);
        var allocator = Empty(capacity);
        var owned = new List<BlockRange>();
        var state = new char[capacity];
        Array.Fill(state, 'f');
        for (int step = 0; step < 3000; step++)
        {
            int op = rng.Next(10);
            if (op < 5)
            {
                long goal = rng.Next(capacity);
                long want = 1 + rng.Next(64);
                bool anyFree = Array.IndexOf(state, 'f') >= 0;
                Assert.That(allocator.TryAllocate(goal, want, out var got), Is.EqualTo(anyFree), $"step {step}");
                if (!anyFree)
                {
                    continue;
                }
                int expectedStart = Array.IndexOf(state, 'f', (int)goal);
                if (expectedStart < 0)
                {
                    expectedStart = Array.IndexOf(state, 'f');
                }
                Assert.That(got.Start, Is.EqualTo(expectedStart), $"first free block at or after goal {goal}, step {step}");
                Assert.That(got.Length, Is.InRange(1, want));
                for (long b = got.Start; b < got.End; b++)
                {
                    Assert.That(state[b], Is.EqualTo('f'), $"block {b} handed out while {state[b]}, step {step}");
                    state[b] = 'a';
                }
                if (got.Length < want && got.End < capacity)
                {
                    Assert.That(state[got.End], Is.Not.EqualTo('f'), "cut short only at the end of the free run");
                }
                owned.Add(got);
            }
            else if (op < 9 && owned.Count > 0)
            {
                int i = rng.Next(owned.Count);
                var r = owned[i];
                owned.RemoveAt(i);
                allocator.Release(r.Start, r.Length);
                state.AsSpan((int)r.Start, (int)r.Length).Fill('b');
            }
            else
            {
                allocator.FenceBusy();
                allocator.LiftFence();
                for (int b = 0; b < capacity; b++)
                {
                    state[b] = state[b] == 'b' ? 'f' : state[b];
                }
            }
            Assert.That(allocator.FreeBlocks, Is.EqualTo(state.Count(c => c == 'f')));
            Assert.That(allocator.BusyBlocks, Is.EqualTo(state.Count(c => c == 'b')));
        }
    }
}
