using WinReflink.Core.Cache;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;
using WinReflink.Core.Storage;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Transactions;

/// <summary>
/// The running transaction: what changed since the last commit (the change set, the blocks allocated
/// and the blocks unshared since then, the busy extents in the allocator), the commit that makes it
/// durable, and the group-commit timer. It answers the copy-on-write question "may this block be
/// overwritten in place?" (<see cref="History"/>) but owns no copy-on-write policy, and it forgets its
/// sets only when a commit has succeeded. Callers hold the volume lock for every call.
/// </summary>
internal sealed class Transaction : IDisposable
{
    private readonly VolumeState _state;
    private readonly MetadataStore _meta;
    private readonly BlockStore _store;
    private readonly ExtentCache _cache;
    private readonly VolumeAccess _access;
    private readonly VolumeHealth _health;
    /// <summary>Blocks that went from shared to single-owner since the last commit.</summary>
    private readonly RangeSet _recentlyUnshared = new();
    /// <summary>Blocks allocated since the last commit.</summary>
    private readonly RangeSet _allocatedSinceCommit = new();
    private Timer? _groupCommit;
    private bool _stopped;

    public Transaction(VolumeState state, MetadataStore meta, BlockStore store, ExtentCache cache, VolumeAccess access, VolumeHealth health)
    {
        _state = state;
        _meta = meta;
        _store = store;
        _cache = cache;
        _access = access;
        _health = health;
    }

    public ChangeSet Changes { get; } = new();

    /// <summary>Whether a commit would write anything to meta.db.</summary>
    public bool HasChanges => !Changes.IsEmpty || _state.DropDanglingRows.Count > 0 || _state.Security.HasChanges
        || _state.Refcounts.Rows.HasChanges || _state.Allocator.Free.Rows.HasChanges || _state.Allocator.BusyBlocks > 0;

    public void Changed(Inode inode) => Changes.ChangedInodes.Add(inode);

    /// <summary>Blocks the allocator just handed out. On entry they were free in the last commit.</summary>
    public void Allocated(BlockRange blocks) => _allocatedSinceCommit.Add(blocks.Start, blocks.Length);

    /// <summary>Blocks whose share count fell to one; the last commit still has them shared.</summary>
    public void Unshared(BlockRange blocks) => _recentlyUnshared.AddMissing(blocks.Start, blocks.Length);

    /// <summary>
    /// What the transaction knows of the single-owner blocks from <paramref name="physical"/> (at most
    /// <paramref name="length"/>), and for how many blocks (at least 1) that answer holds.
    /// </summary>
    public (BlockHistory History, long Run) History(long physical, long length)
    {
        var (fresh, freshRun) = _allocatedSinceCommit.RunAt(physical, length);
        if (fresh)
        {
            return (BlockHistory.AllocatedSinceCommit, freshRun);
        }
        var (unshared, unsharedRun) = _recentlyUnshared.RunAt(physical, freshRun);
        return (unshared ? BlockHistory.UnsharedSinceCommit : BlockHistory.Committed, unsharedRun);
    }

    /// <summary>Commits every <paramref name="interval"/> on a timer thread, under <paramref name="volumeLock"/>, until <see cref="Dispose"/>.</summary>
    public void StartGroupCommit(TimeSpan interval, Lock volumeLock)
    {
        _groupCommit = new Timer(_ =>
        {
            // Nothing may escape a timer thread (it would end the process): Commit answers failures as the sticky error.
            lock (volumeLock)
            {
                if (!_stopped)
                {
                    Commit();
                }
            }
        }, null, interval, interval);
    }

    /// <summary>Stops the group-commit timer. Call with the volume lock held; a tick already waiting for the lock then does nothing.</summary>
    public void StopGroupCommit() => _stopped = true;

    /// <summary>
    /// Commits the running transaction. Ok when there was nothing to commit or it is durable; EIO when
    /// this or an earlier commit failed and changes are lost. Any failure stops the volume: a commit that
    /// failed halfway leaves the in-memory state ahead of the disk, and committing it later could make a
    /// half-done state durable. A read-only volume commits nothing.
    /// </summary>
    public FsError Commit()
    {
        if (_health.Failed)
        {
            return HasChanges || _cache.DirtyBytes > 0 ? FsError.Io : FsError.Ok;
        }
        if (_access.ReadOnly)
        {
            return FsError.Ok;
        }
        try
        {
            CommitUnguarded();
            return FsError.Ok;
        }
        catch (Exception e) when (_health.Fault(e, "a commit"))
        {
            return FsError.Io;
        }
    }

    /// <summary>
    /// Commit = data first, then metadata (ordered mode, invariant 5): write back dirty blocks, flush the
    /// data file, then commit SQLite. Blocks freed in this transaction become allocatable only now
    /// (invariant 4). On return every committed inode's CommittedSize is its size and the transaction's
    /// sets are empty; an exception leaves the sets naming what was lost. Only the repair and the
    /// open-time orphan reclaim call this directly, ignoring the access mode.
    /// </summary>
    public void CommitUnguarded()
    {
        if (!HasChanges && _cache.DirtyBytes == 0)
        {
            return;
        }
        _cache.FlushDirty();
        _store.Flush();
        _state.Allocator.RetireBusy();
        foreach (var inode in Changes.ChangedInodes)
        {
            inode.CommittedSize = inode.Size;
        }
        _meta.Commit(_state, Changes);
        Changes.Clear();
        _recentlyUnshared.Clear();
        _recentlyUnshared.Rows.ForgetChanges();
        _allocatedSinceCommit.Clear();
        _allocatedSinceCommit.Rows.ForgetChanges();
    }

    /// <summary>EIO when the volume failed and <paramref name="inode"/> has changes the last commit does not hold.</summary>
    public FsError LostChanges(Inode inode) =>
        _health.Failed && (Changes.ChangedInodes.Contains(inode) || Changes.DeletedInodes.Contains(inode.Ino)) ? FsError.Io : FsError.Ok;

    public void Dispose() => _groupCommit?.Dispose();
}
