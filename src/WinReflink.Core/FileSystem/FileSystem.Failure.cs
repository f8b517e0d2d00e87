using WinReflink.Core.Errors;

namespace WinReflink.Core;

/// <summary>
/// The sticky error as the hosts see it (<see cref="Transactions.VolumeHealth"/> holds it): once the
/// volume failed, every change is refused as read-only, and every fsync, sync and close of a file whose
/// changes did not reach disk reports EIO, until the volume is opened again.
/// </summary>
public sealed partial class FileSystem
{
    /// <summary>Why the volume stopped accepting changes, or null while it is healthy.</summary>
    public string? Failure
    {
        get
        {
            using (_locks.Exclusive())
            {
                return _health.Failure;
            }
        }
    }

    /// <summary>Mounted read-only (an access mode), or stopped by a failure (health).</summary>
    public bool IsReadOnly => _access.ReadOnly || _health.Failed;

    /// <summary>
    /// Hosts call this when an engine call threw: the call may have stopped halfway through changing
    /// the in-memory state, so that state must never be committed.
    /// </summary>
    public void ReportUnexpected(Exception exception, string operation)
    {
        using (_locks.Exclusive())
        {
            _health.Fault(exception, operation);
        }
    }

    /// <summary>
    /// Close-time check (FUSE FLUSH, WinFsp Cleanup): EIO when the volume failed and this file's
    /// changes did not reach disk, so a program that checks close() learns of the loss.
    /// </summary>
    public FsError Flush(long ino)
    {
        using (_locks.Shared())
        {
            var e = _inodes.TryGet(ino, out var inode);
            return e != FsError.Ok ? e : _transaction.LostChanges(inode);
        }
    }
}
