using WinReflink.Core.Errors;

namespace WinReflink.Core.Extents;

/// <summary>
/// Free space as ranges, plus the busy extents: blocks freed in transaction T become allocatable only
/// once T is durable (invariant 4), so a crash can never leave committed metadata pointing at blocks
/// that were already rewritten. Blocks freed by the running transaction are in <see cref="Busy"/>;
/// those freed by the transaction being committed are already free in the rows it writes, but
/// fenced: <see cref="TryAllocate"/> skips them until <see cref="LiftFence"/>.
/// Invariants: busy and free are disjoint; the fence lies inside free.
/// </summary>
internal sealed class Allocator
{
    private readonly RangeSet _free = new();
    private readonly RangeSet _busy = new();
    private readonly RangeSet _fenced = new();

    public Allocator(long capacityBlocks)
    {
        CapacityBlocks = capacityBlocks;
    }

    public long CapacityBlocks { get; }
    public RangeSet Free => _free;
    public RangeSet Busy => _busy;
    /// <summary>Blocks allocatable now.</summary>
    public long FreeBlocks => _free.TotalBlocks - _fenced.TotalBlocks;
    /// <summary>Blocks freed by the running transaction.</summary>
    public long BusyBlocks => _busy.TotalBlocks;
    /// <summary>Blocks freed by the transaction being committed: allocatable once it is durable.</summary>
    public long FencedBlocks => _fenced.TotalBlocks;

    /// <summary>
    /// Allocates up to <paramref name="want"/> contiguous blocks, starting at <paramref name="goal"/> when
    /// it is free (so sequential writes and copy-on-write of a run land contiguously), else at the next
    /// free range after it. Returns false only when no block is free.
    /// </summary>
    public bool TryAllocate(long goal, long want, out BlockRange got)
    {
        long from = Math.Clamp(goal, 0, Math.Max(0, CapacityBlocks - 1));
        // The search wraps around at the end of the volume; it has seen every free block once it skipped them all.
        long skipped = 0;
        while (want > 0 && skipped <= _fenced.TotalBlocks && _free.TryFindFrom(from, out long start, out long length))
        {
            var (fenced, run) = _fenced.RunAt(start, length);
            if (fenced)
            {
                skipped += run;
                from = start + run;
                continue;
            }
            long n = Math.Min(want, run);
            _free.Remove(start, n);
            got = new BlockRange(start, n);
            return true;
        }
        got = default;
        return false;
    }

    /// <summary>Returns blocks that no file maps any more; they stay busy until the next commit.</summary>
    public void Release(long start, long length) => _busy.Add(start, length);

    /// <summary>Gives back blocks allocated in this transaction that were never made visible.</summary>
    public void Unallocate(long start, long length) => _free.Add(start, length);

    /// <summary>
    /// Called when a commit is captured: the busy blocks are free in the state it writes, so they join
    /// the free rows, fenced until <see cref="LiftFence"/>. On entry no earlier fence is up (one commit
    /// is written at a time).
    /// </summary>
    public void FenceBusy()
    {
        if (_fenced.TotalBlocks != 0)
        {
            throw new CorruptionException("a commit was captured while the previous one was still being written", 0, _fenced.All().First().Start);
        }
        foreach (var r in _busy.All().ToList())
        {
            _free.Add(r.Start, r.Length);
            _fenced.Add(r.Start, r.Length);
        }
        _busy.Clear();
        _busy.Rows.ForgetChanges();
        _fenced.Rows.ForgetChanges();
    }

    /// <summary>Called once the captured commit is durable: the blocks it freed may be allocated.</summary>
    public void LiftFence()
    {
        _fenced.Clear();
        _fenced.Rows.ForgetChanges();
    }
}
