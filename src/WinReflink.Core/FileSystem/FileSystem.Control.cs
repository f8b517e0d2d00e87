using WinReflink.Core.Control;
using WinReflink.Core.Errors;

namespace WinReflink.Core;

/// <summary>The control channel's calls: checks, the lock, and <see cref="ControlService"/>.</summary>
public sealed partial class FileSystem
{
    /// <summary>
    /// Issues a short-lived token naming <paramref name="ino"/> as a clone source. The host calls this
    /// only for a handle opened for reading, so holding the token proves the right to read the source.
    /// </summary>
    public FsError IssueCloneToken(long ino, out ulong token)
    {
        token = 0;
        using (_locks.Exclusive())
        {
            var e = _inodes.TryGetRegular(ino, out _);
            if (e == FsError.Ok)
            {
                token = _control.IssueCloneToken(ino);
            }
            return e;
        }
    }

    /// <summary>Clones from the token's file into <paramref name="dstIno"/> (whose handle the host checked is writable).</summary>
    public FsError CloneFromToken(ulong token, long srcOffset, long dstIno, long dstOffset, long length, out long cloned) =>
        CloneFromToken(token, srcOffset, dstIno, dstOffset, length, CancellationToken.None, out cloned);

    /// <summary>The same, stopped between clone steps by <paramref name="cancel"/> (<see cref="CloneRange(long, long, long, long, long, CancellationToken, out long)"/>).</summary>
    public FsError CloneFromToken(ulong token, long srcOffset, long dstIno, long dstOffset, long length, CancellationToken cancel, out long cloned)
    {
        cloned = 0;
        long srcIno;
        using (_locks.Exclusive())
        {
            if (!_control.TryRedeem(token, out srcIno))
            {
                return FsError.PermissionDenied;
            }
        }
        return CloneRange(srcIno, srcOffset, dstIno, dstOffset, length, cancel, out cloned);
    }

    /// <summary>The volume's and the cache's figures as one JSON object, for the control channel.</summary>
    public string InfoJson() => ControlService.InfoJson(Info(), CacheStatistics(), MetadataStatistics());
}
