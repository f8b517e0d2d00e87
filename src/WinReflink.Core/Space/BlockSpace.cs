using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Space;

/// <summary>
/// The volume's blocks: the allocator (free space and busy extents), the refcount table of shared
/// blocks, and the free-space check that data writes and clones pass before they change anything.
/// Invariant, on entry and on return of every call: a block is exactly one of free, busy, or mapped
/// (with a share count of 1 when no row says otherwise); the check (<see cref="Reserve{TState}"/>) makes
/// <see cref="Allocate"/> succeed. Callers hold the volume lock: exclusively for
/// <see cref="Reserve{TState}"/> (it may commit); writes holding it shared
/// reserve with <see cref="TryReserveShared"/> instead, and every call takes <c>_gate</c>, the short
/// space lock, so their allocations and unreferences interleave whole. The refcount table reads the
/// shared rows it lacks from meta.db under <c>_gate</c> (a segment: at most 1,024 rows). Lock order: an
/// inode lock, then <c>_gate</c>, then the transaction's, the cache's and the shared-row loader's own locks.
/// </summary>
internal sealed class BlockSpace
{
    private readonly Allocator _allocator;
    private readonly RefcountTable _refcounts;
    private readonly Transaction _transaction;
    private readonly VolumeHealth _health;
    private readonly Func<bool> _readOnly;
    private readonly Lock _gate = new();
    private long _lastAllocationEnd;
    /// <summary>Blocks shared-mode writes in progress have reserved (<see cref="TryReserveShared"/>); zero whenever the volume lock is held exclusively.</summary>
    private long _sharedReserved;

    public BlockSpace(Allocator allocator, RefcountTable refcounts, Transaction transaction, VolumeHealth health, Func<bool> readOnly)
    {
        _allocator = allocator;
        _refcounts = refcounts;
        _transaction = transaction;
        _health = health;
        _readOnly = readOnly;
    }

    public long CapacityBlocks => _allocator.CapacityBlocks;

    /// <summary>What statfs reports free: busy blocks count, since a commit frees them (see <see cref="Reserve{TState}"/>).</summary>
    public long AvailableBlocks
    {
        get
        {
            lock (_gate)
            {
                return _allocator.FreeBlocks + _allocator.BusyBlocks + _allocator.FencedBlocks;
            }
        }
    }

    /// <summary>Bytes of shared blocks and bytes that sharing saves, in blocks.</summary>
    public (long Shared, long Saved) SharingTotals()
    {
        lock (_gate)
        {
            return _refcounts.Totals();
        }
    }

    /// <summary>Drops the shared table's clean segments past its budget (with the volume lock held exclusively: nothing is using them).</summary>
    public void TrimSharedRanges()
    {
        lock (_gate)
        {
            _refcounts.Trim();
        }
    }

    /// <summary>Shared-table segments read from meta.db since open, and dropped.</summary>
    public (long Loaded, long Evicted) SharedSegmentStatistics
    {
        get
        {
            lock (_gate)
            {
                return _refcounts.SegmentStatistics;
            }
        }
    }

    /// <summary>How many files map the blocks from <paramref name="physical"/>, and for how many blocks (at most <paramref name="length"/>) that count holds.</summary>
    public (int Refs, long Run) ShareCount(long physical, long length)
    {
        lock (_gate)
        {
            return _refcounts.RunAt(physical, length);
        }
    }

    /// <summary>
    /// Whether the blocks an operation needs can be allocated now; <paramref name="count"/> counts them
    /// from the file's current state. Blocks freed in the running transaction, or in the commit being
    /// written, become allocatable once durable, so when they would make the difference, commit first
    /// (as XFS forces its log when busy extents stand in the way), under the lock, after the commit being
    /// written: space that statfs reports free is usable. The commit moves
    /// committed sizes and ends the transaction's fresh blocks, which can turn a block counted as an
    /// in-place write into copy-on-write, so the blocks are counted again after it (defect 1).
    /// Call only before an operation changes anything, or between two complete steps of one.
    /// Returns Ok, NoSpace, or the commit's error.
    /// </summary>
    public FsError Reserve<TState>(TState state, Func<TState, long> count)
    {
        if (Volatile.Read(ref _sharedReserved) != 0)
        {
            throw new InvalidOperationException("the exclusive free-space check ran while shared-mode writes held reservations");
        }
        long need = count(state);
        if (need <= FreeBlocks)
        {
            return FsError.Ok;
        }
        if (_readOnly() || need > AvailableBlocks)
        {
            return FsError.NoSpace;
        }
        var e = _transaction.CommitLocked();
        if (e != FsError.Ok)
        {
            return e;
        }
        return count(state) <= FreeBlocks ? FsError.Ok : FsError.NoSpace;
    }

    /// <summary>
    /// The free-space check of a write holding the volume lock shared: reserves <paramref name="need"/>
    /// blocks when the allocator has them free beyond what other such writes reserved, and never
    /// commits. False means "not this way": the caller lets go of its locks and runs the write with
    /// the volume lock exclusive, where <see cref="Reserve{TState}"/> decides exactly (commit first,
    /// or NoSpace). A reservation taken lasts until <see cref="ReleaseShared"/>, after the write's
    /// allocations: it over-counts meanwhile, which can only send another write to the exclusive path.
    /// </summary>
    public bool TryReserveShared(long need)
    {
        lock (_gate)
        {
            if (need > _allocator.FreeBlocks - _sharedReserved)
            {
                return false;
            }
            _sharedReserved += need;
            return true;
        }
    }

    /// <summary>Ends a reservation <see cref="TryReserveShared"/> granted.</summary>
    public void ReleaseShared(long need)
    {
        if (need == 0)
        {
            return;
        }
        lock (_gate)
        {
            _sharedReserved -= need;
        }
    }

    private long FreeBlocks
    {
        get
        {
            lock (_gate)
            {
                return _allocator.FreeBlocks;
            }
        }
    }

    /// <summary>
    /// Allocates up to <paramref name="want"/> contiguous blocks for <paramref name="file"/>, near
    /// <paramref name="goal"/>, and records them as allocated in the running transaction. On entry the
    /// caller has reserved them (<see cref="Reserve{TState}"/>): running out here breaks the free-space
    /// accounting, and throws <see cref="CorruptionException"/> for the caller's guard to stop the volume.
    /// </summary>
    public BlockRange Allocate(Inode file, long goal, long want)
    {
        BlockRange got;
        lock (_gate)
        {
            if (!_allocator.TryAllocate(goal, want, out got))
            {
                throw new CorruptionException($"allocation of {want} blocks failed after the free-space check reserved them", file.Ino, goal);
            }
            _transaction.Allocated(got);
            _lastAllocationEnd = got.End;
        }
        file.AllocationGoal = got.End;
        return got;
    }

    /// <summary>Where to allocate the block for <paramref name="logical"/>: after the previous logical block's physical block when the file owns it alone, so runs stay contiguous.</summary>
    public long Goal(Inode file, long logical)
    {
        if (logical > 0 && file.Extents!.TryFind(logical - 1, 1, out var prev, out _))
        {
            long p = prev.Physical + (logical - 1 - prev.Logical) + 1;
            if (ShareCount(p - 1, 1).Refs == 1)
            {
                return p;
            }
        }
        if (file.AllocationGoal >= 0)
        {
            return file.AllocationGoal;
        }
        lock (_gate)
        {
            return _lastAllocationEnd;
        }
    }

    /// <summary>A file maps these blocks once more (a clone or dedupe). On entry they are mapped, not free.</summary>
    public void AddReference(long physical, long length)
    {
        lock (_gate)
        {
            _refcounts.AddReference(physical, length);
        }
    }

    /// <summary>
    /// A write repeating cached bytes maps these blocks once more (issue 10), if every one of them is
    /// still mapped: false, and nothing changed, when one is free or busy, i.e. its last owner let go of
    /// it since the caller looked (a freed block's bytes are discarded from the cache, so sharing it
    /// would share nothing known). The caller holds what keeps the blocks' bytes from changing.
    /// </summary>
    public bool TryAddReference(long physical, long length)
    {
        lock (_gate)
        {
            if (_allocator.Free.Overlaps(physical, length) || _allocator.Busy.Overlaps(physical, length))
            {
                return false;
            }
            _refcounts.AddReference(physical, length);
            return true;
        }
    }

    /// <summary>
    /// <paramref name="file"/> no longer maps <paramref name="piece"/>: its share count drops, blocks that
    /// lose their last owner go busy until the next commit and are added to <paramref name="freed"/>,
    /// blocks left with one owner are unshared in the transaction. Mapped blocks that the allocator holds
    /// free break the invariant: the volume stops as corrupt (file and block named) and nothing changes.
    /// </summary>
    public bool Unreference(Inode file, Extent piece, List<BlockRange> freed)
    {
        lock (_gate)
        {
            return UnreferenceLocked(file, piece, freed);
        }
    }

    private bool UnreferenceLocked(Inode file, Extent piece, List<BlockRange> freed)
    {
        if (_allocator.Free.Overlaps(piece.Physical, piece.Length))
        {
            _health.Corrupt("a mapped extent overlaps free space", file.Ino, piece.Physical);
            return false;
        }
        var unshared = new List<BlockRange>();
        int firstFreed = freed.Count;
        _refcounts.DropReference(piece.Physical, piece.Length, freed, unshared);
        for (int i = firstFreed; i < freed.Count; i++)
        {
            _allocator.Release(freed[i].Start, freed[i].Length);
        }
        foreach (var r in unshared)
        {
            _transaction.Unshared(r);
        }
        return true;
    }
}
