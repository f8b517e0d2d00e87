using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>
/// The sticky error, as XFS's shutdown and Linux's errseq: once a commit fails, corruption is found,
/// or an engine call fails unexpectedly, the in-memory state can no longer be trusted to reach disk.
/// From then on nothing is committed, every change is refused as read-only, and every fsync, sync and
/// close of a file whose changes did not reach disk reports EIO, until the volume is opened again
/// (which returns it to its last commit).
/// </summary>
public sealed partial class FileSystem
{
    private string? _failure;

    /// <summary>Why the volume stopped accepting changes, or null while it is healthy.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>Mounted read-only, or stopped by a failure.</summary>
    public bool IsReadOnly => _readOnly || _failure != null;

    /// <summary>
    /// Hosts call this when an engine call threw: the call may have stopped halfway through changing
    /// the in-memory state, so that state must never be committed.
    /// </summary>
    public void ReportUnexpected(Exception exception, string operation)
    {
        lock (_lock)
        {
            Fault(exception, operation);
        }
    }

    /// <summary>
    /// The guard of every engine call that changes state, as an exception filter: an exception means
    /// the call stopped halfway (a broken invariant, a failed disk write), so the volume stops and the
    /// call answers EIO. Out of memory is left to the runtime.
    /// </summary>
    private bool Fault(Exception exception, string operation)
    {
        if (exception is OutOfMemoryException)
        {
            return false;
        }
        string cause = exception is CorruptionException c
            ? $"corruption found during {operation}: {c.Message}"
            : $"{operation} failed: {exception.GetType().Name}: {exception.Message}";
        Shutdown(cause, exception);
        return true;
    }

    /// <summary>
    /// Close-time check (FUSE FLUSH, WinFsp Cleanup): EIO when the volume failed and this file's
    /// changes did not reach disk, so a program that checks close() learns of the loss.
    /// </summary>
    public FsError Flush(long ino)
    {
        lock (_lock)
        {
            var e = TryGet(ino, out var inode);
            return e != FsError.Ok ? e : LostChanges(inode);
        }
    }

    /// <summary>Records the first failure and logs it once; later ones add nothing.</summary>
    private void Shutdown(string cause, Exception? exception)
    {
        if (_failure != null)
        {
            return;
        }
        _failure = cause;
        _cache.StopWriteBack();
        _logger.LogCritical(exception, "Volume {Volume} stopped accepting changes: {Cause}. It stays readable; changes since its last commit are lost, and fsync and close of the files they touched fail with EIO until it is opened again",
            _layout.Folder, cause);
    }

    /// <summary>EIO when the volume failed and <paramref name="inode"/> has changes the last commit does not hold.</summary>
    private FsError LostChanges(Inode inode) =>
        _failure != null && (_state.ChangedInodes.Contains(inode) || _state.DeletedInodes.Contains(inode.Ino)) ? FsError.Io : FsError.Ok;
}
