using WinReflink.Core.Cache;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Locking;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;
using WinReflink.Core.Storage;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Transactions;

/// <summary>
/// The running transaction and the committing one, as jbd2's and XFS's CIL: what changed since the last
/// capture (the change set, the blocks allocated and unshared since then, the busy extents in the
/// allocator) runs while the previous capture is written to disk, so writers go on during a commit's
/// fsyncs. A commit is captured under the volume lock (the dirty blocks taken as a batch in flight, the
/// metadata changes taken as values), written without it (the batch, the data file flushed, then
/// SQLite: ordered mode, invariant 5), and finished under it (the blocks it freed become allocatable,
/// committed sizes move).
/// One commit is written at a time, in sequence order. The transaction answers the copy-on-write
/// question "may this block be overwritten in place?" (<see cref="History"/>) against the last durable
/// commit and the one being written, but owns no copy-on-write policy. Callers hold the volume lock for
/// every call except <see cref="Commit"/>, which takes it. The calls that record changes
/// (<see cref="Changed"/>, <see cref="Deleted"/>, <see cref="SettingsChanged"/>, <see cref="OrphansChanged"/>,
/// <see cref="Allocated"/>, <see cref="Unshared"/>, <see cref="History"/>, <see cref="LostChanges"/>)
/// may come from several threads holding it shared, so the running sets are also under <c>_running</c>; the capture and the finish hold the volume lock exclusively, so no
/// call of the data path is in progress while they swap those sets or move the commit being written.
/// </summary>
internal sealed class Transaction : IDisposable
{
    private readonly Action _durable;
    private readonly VolumeState _state;
    private readonly MetadataStore _meta;
    private readonly BlockStore _store;
    private readonly ExtentCache _cache;
    private readonly VolumeAccess _access;
    private readonly VolumeHealth _health;
    private readonly EngineLocks _locks;
    /// <summary>The running sets' own lock, for callers holding the volume lock shared (taken after the space's, never before).</summary>
    private readonly Lock _running = new();
    /// <summary>Blocks that went from shared to single-owner since the last capture.</summary>
    private RangeSet _recentlyUnshared = new();
    /// <summary>Blocks allocated since the last capture: no commit, durable or being written, maps them.</summary>
    private readonly RangeSet _allocatedSinceCommit = new();
    /// <summary>The commit being written, or one whose write failed; null when the last capture is durable.</summary>
    private CommitInFlight? _committing;
    private long _runningSequence = 1;
    private long _durableSequence;
    private Timer? _groupCommit;
    /// <summary>Set when the volume closes: from then on only <see cref="CommitLocked"/> commits.</summary>
    private bool _closed;

    /// <param name="durable">Told, under the volume lock held exclusively, when a commit that changed inodes is durable: they are clean now, and may be dropped from memory.</param>
    public Transaction(VolumeState state, MetadataStore meta, BlockStore store, ExtentCache cache, VolumeAccess access, VolumeHealth health, EngineLocks locks,
        Action durable)
    {
        _durable = durable;
        _state = state;
        _meta = meta;
        _store = store;
        _cache = cache;
        _access = access;
        _health = health;
        _locks = locks;
    }

    /// <summary>What the running transaction changed in the metadata; a capture hands it to the commit and starts a new one.</summary>
    public ChangeSet Changes { get; private set; } = new();

    /// <summary>Whether a commit would write anything to meta.db.</summary>
    public bool HasChanges => !Changes.IsEmpty || _state.DropDanglingRows.Count > 0 || _state.Security.HasChanges
        || _state.Refcounts.HasChanges || _state.Allocator.Free.Rows.HasChanges || _state.Allocator.BusyBlocks > 0;

    public void Changed(Inode inode)
    {
        lock (_running)
        {
            Changes.ChangedInodes.Add(inode);
        }
    }

    /// <summary>The volume's settings changed (the next inode number, the label).</summary>
    public void SettingsChanged()
    {
        lock (_running)
        {
            Changes.SettingsChanged = true;
        }
    }

    /// <summary>The orphan list changed.</summary>
    public void OrphansChanged()
    {
        lock (_running)
        {
            Changes.OrphansChanged = true;
        }
    }

    /// <summary>The inode is gone: the commit deletes its rows instead of writing them.</summary>
    public void Deleted(Inode inode)
    {
        lock (_running)
        {
            Changes.Deleted(inode);
        }
    }

    /// <summary>Blocks the allocator just handed out. On entry they were free in every commit, durable or being written.</summary>
    public void Allocated(BlockRange blocks)
    {
        lock (_running)
        {
            _allocatedSinceCommit.Add(blocks.Start, blocks.Length);
        }
    }

    /// <summary>Blocks whose share count fell to one; the last durable commit may still have them shared.</summary>
    public void Unshared(BlockRange blocks)
    {
        lock (_running)
        {
            _recentlyUnshared.AddMissing(blocks.Start, blocks.Length);
        }
    }

    /// <summary>
    /// What the transactions know of the single-owner blocks from <paramref name="physical"/> (at most
    /// <paramref name="length"/>), and for how many blocks (at least 1) that answer holds. A block
    /// allocated by the commit being written counts as committed: that commit may become durable. A
    /// block allocated and then shared and unshared since the commit counts as unshared, not fresh: a
    /// block once shared is never written in place before the next commit, which copy recognition
    /// relies on to share a block mapped twice without holding its owners (Data/CopyRecognizer.cs).
    /// </summary>
    public (BlockHistory History, long Run) History(long physical, long length)
    {
        lock (_running)
        {
            return HistoryLocked(physical, length);
        }
    }

    private (BlockHistory History, long Run) HistoryLocked(long physical, long length)
    {
        var (unshared, run) = _recentlyUnshared.RunAt(physical, length);
        if (unshared)
        {
            return (BlockHistory.UnsharedSinceCommit, run);
        }
        var (fresh, freshRun) = _allocatedSinceCommit.RunAt(physical, run);
        if (fresh)
        {
            return (BlockHistory.AllocatedSinceCommit, freshRun);
        }
        run = freshRun;
        if (_committing != null)
        {
            (unshared, run) = _committing.Unshared.RunAt(physical, run);
        }
        return (unshared ? BlockHistory.UnsharedSinceCommit : BlockHistory.Committed, run);
    }

    /// <summary>Commits every <paramref name="interval"/> on a timer thread until the volume closes.</summary>
    public void StartGroupCommit(TimeSpan interval)
    {
        // Nothing may escape a timer thread (it would end the process): Commit answers failures as the sticky error.
        _groupCommit = new Timer(_ => Commit(), null, interval, interval);
    }

    /// <summary>The volume is closing: commits from the timer and from fsync stop. Call with the volume lock held exclusively.</summary>
    public void Close() => _closed = true;

    /// <summary>
    /// Makes durable everything done before the call; for an fsync of <paramref name="covering"/> whose
    /// changes are all in the commit being written, only that commit. Called
    /// WITHOUT the volume lock, which it takes only to capture and to finish: writers go on while the
    /// commit is written, and one commit serves every caller waiting for it (group commit). Ok when
    /// durable or nothing was to commit; EIO when this or an earlier commit failed and changes are lost.
    /// Any failure stops the volume: a commit that failed halfway leaves the in-memory state ahead of
    /// the disk, and committing it later could make a half-done state durable.
    /// </summary>
    public FsError Commit(Inode? covering = null)
    {
        long target;
        using (_locks.Exclusive())
        {
            FinishWritten();
            target = Target(covering);
        }
        while (true)
        {
            CommitInFlight? other = null, mine = null;
            using (_locks.Exclusive())
            {
                FinishWritten();
                if (_durableSequence >= target)
                {
                    return FsError.Ok;
                }
                var refused = Refusal();
                if (refused != null)
                {
                    return refused.Value;
                }
                if (_committing != null)
                {
                    other = _committing;
                }
                else
                {
                    try
                    {
                        mine = Capture();
                    }
                    catch (Exception e) when (_health.Fault(e, "a commit"))
                    {
                        return FsError.Io;
                    }
                    if (mine == null)
                    {
                        return FsError.Ok;
                    }
                }
            }
            if (other != null)
            {
                other.WaitWritten();
                continue;
            }
            try
            {
                WriteCaptured(mine!);
            }
            catch (Exception e) when (_health.Fault(e, "a commit"))
            {
                // The loop answers EIO: the volume has failed.
            }
        }
    }

    /// <summary>
    /// Commits with the volume lock held, waiting for a commit being written first: for the free-space
    /// check, which needs the blocks the running transaction freed, and for closing. Safe under the
    /// lock because a commit's write never takes it. Ok, or EIO as <see cref="Commit"/>.
    /// </summary>
    public FsError CommitLocked()
    {
        var refused = _health.Failed || _access.ReadOnly ? Refusal() : null;
        if (refused != null)
        {
            return refused.Value;
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
    /// Captures, writes and finishes a commit with the volume lock held, ignoring the access mode; only
    /// the repair and the open-time orphan reclaim call this directly. On return every committed
    /// inode's CommittedSize is its size, the running transaction is empty and nothing is being
    /// written; an exception means the commit failed (the caller's guard stops the volume).
    /// </summary>
    public void CommitUnguarded()
    {
        WaitForWrite();
        if (_committing != null)
        {
            throw new IOException("the previous commit failed to reach the disk");
        }
        var mine = Capture();
        if (mine != null)
        {
            WriteCaptured(mine);
            FinishWritten();
        }
    }

    /// <summary>Waits for a commit being written and finishes it. Call with the volume lock held exclusively; afterwards only a failed commit can be left.</summary>
    public void WaitForWrite()
    {
        _committing?.WaitWritten();
        FinishWritten();
    }

    /// <summary>EIO when the volume failed and <paramref name="inode"/> has changes that no durable commit holds.</summary>
    public FsError LostChanges(Inode inode)
    {
        if (!_health.Failed)
        {
            return FsError.Ok;
        }
        lock (_running)
        {
            return Holds(Changes, inode) || (_committing != null && Holds(_committing.Changes, inode)) ? FsError.Io : FsError.Ok;
        }
    }

    public void Dispose() => _groupCommit?.Dispose();

    /// <summary>The capture and the finish swap the running sets and move sizes that shared-mode calls read without the running lock.</summary>
    private void RequireExclusive()
    {
        if (!_locks.HeldExclusively)
        {
            throw new InvalidOperationException("a commit was captured or finished without the volume lock held exclusively");
        }
    }

    /// <summary>Whether the running or the committing transaction holds changes of the inode that meta.db does not have yet. Call with the volume lock held exclusively.</summary>
    public bool Pins(Inode inode) => Holds(Changes, inode) || (_committing != null && Holds(_committing.Changes, inode));

    private static bool Holds(ChangeSet changes, Inode inode) => changes.ChangedInodes.Contains(inode) || changes.DeletedInodes.Contains(inode.Ino);

    /// <summary>
    /// The sequence number that must be durable for <paramref name="covering"/>: the commit being
    /// written when that holds its changes and the running transaction does not, else the running
    /// transaction (also for a file without changes: an fsync then stays the barrier it always was).
    /// </summary>
    private long Target(Inode? covering)
    {
        if (covering != null && !Holds(Changes, covering) && _committing != null && Holds(_committing.Changes, covering))
        {
            return _committing.Sequence;
        }
        return _runningSequence;
    }

    /// <summary>Why no commit may start now, or null when one may: the answer for a failed, read-only or closed volume.</summary>
    private FsError? Refusal()
    {
        if (_health.Failed)
        {
            return HasChanges || _cache.DirtyBytes > 0 || _committing != null ? FsError.Io : FsError.Ok;
        }
        return _access.ReadOnly || _closed ? FsError.Ok : null;
    }

    /// <summary>
    /// Takes the running transaction for a commit and starts the next. On entry the lock is held and
    /// nothing is being written. On return every dirty block is in the commit's write batch (in
    /// flight: the cache writes them only through it), the metadata changes are values in the record,
    /// the busy blocks are fenced, and the running transaction is empty. Null when there is nothing to
    /// commit.
    /// </summary>
    private CommitInFlight? Capture()
    {
        RequireExclusive();
        if (_committing != null)
        {
            throw new CorruptionException("a commit was captured while the previous one was being written", 0, 0);
        }
        if (!HasChanges && _cache.DirtyBytes == 0)
        {
            return null;
        }
        _state.Allocator.FenceBusy();
        var record = MetadataStore.Capture(_state, Changes);
        foreach (var inode in Changes.ChangedInodes)
        {
            inode.CommittingSize = inode.Size;
        }
        // Last: once taken, the dirty blocks are in flight until the commit's write lands them.
        var dirty = _cache.TakeDirty();
        _committing = new CommitInFlight(_runningSequence++, record, dirty, Changes, _recentlyUnshared);
        Changes = new ChangeSet();
        _recentlyUnshared = new RangeSet();
        _allocatedSinceCommit.Clear();
        _allocatedSinceCommit.Rows.ForgetChanges();
        return _committing;
    }

    /// <summary>Writes a captured commit: its dirty blocks, the data file flushed, then SQLite. Needs no lock; throws when the write fails, after marking it written and failed.</summary>
    private void WriteCaptured(CommitInFlight commit)
    {
        try
        {
            _cache.WriteTaken(commit.Dirty);
            _store.Flush();
            _meta.Write(commit.Record);
        }
        catch
        {
            commit.SetWritten(failed: true);
            throw;
        }
        commit.SetWritten(failed: false);
    }

    /// <summary>Finishes a commit whose write succeeded: the blocks it freed become allocatable and its sizes committed. Call with the volume lock held exclusively.</summary>
    private void FinishWritten()
    {
        RequireExclusive();
        if (_committing == null || !_committing.IsWritten || _committing.Failed)
        {
            return;
        }
        _state.Allocator.LiftFence();
        // meta.db now has the shared rows the commit changed, so their segments may be dropped and read again.
        _state.Refcounts.Durable();
        // meta.db no longer has these rows, so a load cannot bring them back (VolumeState's invariant).
        foreach (long ino in _committing.Changes.DeletedInodes)
        {
            _state.DestroyedSinceCommit.TryRemove(ino, out _);
        }
        foreach (var inode in _committing.Changes.ChangedInodes)
        {
            // Its entries' rows are current now: the entries may leave memory (DirectoryContents' invariant).
            inode.Children?.Committed();
            if (inode.CommittingSize >= 0)
            {
                inode.CommittedSize = inode.CommittingSize;
                inode.CommittingSize = -1;
            }
        }
        _durableSequence = _committing.Sequence;
        bool cleaned = _committing.Changes.ChangedInodes.Count > 0;
        _committing = null;
        if (cleaned)
        {
            _durable();
        }
    }
}
