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
                var e = _inodes.TryGet(ino, out var inode);
                if (e != FsError.Ok)
                {
                    return e;
                }
                return _health.Failed ? _transaction.LostChanges(inode) : _transaction.Commit();
            }
            catch (Exception e) when (_health.Fault(e, "fsync"))
            {
                return FsError.Io;
            }
        }
    }

    public FsError Sync()
    {
        lock (_lock)
        {
            return _transaction.Commit();
        }
    }
}
