namespace WinReflink.Core.Extents;

/// <summary>
/// Free space as ranges, plus the busy extents of the running transaction: blocks freed in
/// transaction T go to the busy set and become allocatable only once T is durable (invariant 4), so
/// a crash can never leave committed metadata pointing at blocks that were already rewritten.
/// </summary>
internal sealed class Allocator
{
    private readonly RangeSet _free = new();
    private readonly RangeSet _busy = new();

    public Allocator(long capacityBlocks)
    {
        CapacityBlocks = capacityBlocks;
    }

    public long CapacityBlocks { get; }
    public RangeSet Free => _free;
    public RangeSet Busy => _busy;
    public long FreeBlocks => _free.TotalBlocks;
    public long BusyBlocks => _busy.TotalBlocks;

    /// <summary>
    /// Allocates up to <paramref name="want"/> contiguous blocks, starting at <paramref name="goal"/> when
    /// it is free (so sequential writes and copy-on-write of a run land contiguously), else at the next
    /// free range after it. Returns false only when no block is free.
    /// </summary>
    public bool TryAllocate(long goal, long want, out BlockRange got)
    {
        if (want <= 0 || !_free.TryFindFrom(Math.Clamp(goal, 0, Math.Max(0, CapacityBlocks - 1)), out long start, out long length))
        {
            got = default;
            return false;
        }
        long n = Math.Min(want, length);
        _free.Remove(start, n);
        got = new BlockRange(start, n);
        return true;
    }

    /// <summary>Returns blocks that no file maps any more; they stay busy until the next commit.</summary>
    public void Release(long start, long length) => _busy.Add(start, length);

    /// <summary>Gives back blocks allocated in this transaction that were never made visible.</summary>
    public void Unallocate(long start, long length) => _free.Add(start, length);

    /// <summary>Called inside the commit: the busy blocks are free in the state being committed.</summary>
    public void RetireBusy()
    {
        foreach (var r in _busy.All().ToList())
        {
            _free.Add(r.Start, r.Length);
        }
        _busy.Clear();
        _busy.Rows.ForgetChanges();
    }
}
