using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>
    /// Makes this file's changes durable: when the commit being written holds them all, waits for that
    /// one only; else commits everything done so far (one commit serves every file). Once the volume has
    /// failed, EIO for a file whose changes did not reach disk.
    /// </summary>
    public FsError Fsync(long ino)
    {
        Inode inode;
        using (_locks.Shared())
        {
            try
            {
                var e = _inodes.TryGet(ino, out inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (_health.Failed)
                {
                    return _transaction.LostChanges(inode);
                }
            }
            catch (Exception e) when (_health.Fault(e, "fsync"))
            {
                return FsError.Io;
            }
        }
        return _transaction.Commit(inode);
    }

    /// <summary>Makes everything done before the call durable (syncfs).</summary>
    public FsError Sync() => _transaction.Commit();
}
