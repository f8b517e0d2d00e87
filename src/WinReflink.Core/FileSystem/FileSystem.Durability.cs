using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>Makes everything written so far durable (the whole running transaction: one commit serves every file).</summary>
    public FsError Fsync(long ino)
    {
        lock (_lock)
        {
            var e = TryGet(ino, out _);
            return e != FsError.Ok ? e : CommitGuarded();
        }
    }

    public FsError Sync()
    {
        lock (_lock)
        {
            return CommitGuarded();
        }
    }

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

    private FsError CommitGuarded()
    {
        if (_readOnly)
        {
            return FsError.Ok;
        }
        try
        {
            CommitLocked();
            return FsError.Ok;
        }
        catch (IOException e)
        {
            _logger.LogError(e, "Commit of volume {Volume} failed; switching to read-only", _layout.Folder);
            _readOnly = true;
            return FsError.Io;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            _logger.LogError(e, "Commit of volume {Volume} failed; switching to read-only", _layout.Folder);
            _readOnly = true;
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
    }
}
