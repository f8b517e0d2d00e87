using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>
    /// Makes everything written so far durable (the whole running transaction: one commit serves every
    /// file). Once the volume has failed, EIO for a file whose changes did not reach disk.
    /// </summary>
    public FsError Fsync(long ino)
    {
        lock (_lock)
        {
            try
            {
                var e = TryGet(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                return _failure != null ? LostChanges(inode) : CommitGuarded();
            }
            catch (Exception e) when (Fault(e, "fsync"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError Sync()
    {
        lock (_lock)
        {
            return CommitGuarded();
        }
    }

    /// <summary>The group-commit timer: nothing may escape a timer thread (it would end the process).</summary>
    private void GroupCommit()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                CommitGuarded();
            }
        }
    }

    /// <summary>
    /// Commits the running transaction. Ok when there was nothing to commit or it is durable; EIO when
    /// this or an earlier commit failed and changes are lost. Any failure stops the volume (see
    /// <see cref="Shutdown"/>): a commit that failed halfway leaves the in-memory state ahead of the
    /// disk, and committing it later could make a half-done state durable.
    /// </summary>
    private FsError CommitGuarded()
    {
        if (_failure != null)
        {
            return _state.HasChanges || _cache.DirtyBytes > 0 ? FsError.Io : FsError.Ok;
        }
        if (_readOnly)
        {
            return FsError.Ok;
        }
        try
        {
            CommitLocked();
            return FsError.Ok;
        }
        catch (Exception e) when (Fault(e, "a commit"))
        {
            return FsError.Io;
        }
    }

    /// <summary>
    /// Commit = data first, then metadata (ordered mode, invariant 5): write back dirty blocks, flush the
    /// data file, then commit SQLite. Blocks freed in this transaction become allocatable only now (invariant 4).
    /// </summary>
    private void CommitLocked()
    {
        if (!_state.HasChanges && _cache.DirtyBytes == 0)
        {
            return;
        }
        _cache.FlushDirty();
        _store.Flush();
        _state.Allocator.RetireBusy();
        foreach (var inode in _state.ChangedInodes)
        {
            inode.CommittedSize = inode.Size;
        }
        _meta.Commit(_state);
        _recentlyUnshared.Clear();
        _recentlyUnshared.Rows.ForgetChanges();
        _allocatedSinceCommit.Clear();
        _allocatedSinceCommit.Rows.ForgetChanges();
    }
}
