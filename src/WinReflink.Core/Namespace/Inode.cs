using WinReflink.Core.Extents;

namespace WinReflink.Core.Namespace;

/// <summary>
/// An inode as the engine holds it in memory; the metadata store persists the changed ones at commit.
/// Its lifetime fields (<see cref="Nlink"/> of a non-directory and a directory's last drop to zero,
/// <see cref="OpenCount"/>, <see cref="References"/>, <see cref="Destroyed"/>) change only under the
/// inode's monitor (<c>lock (inode)</c>, taken by <see cref="InodeTable"/> and <see cref="OpenCounts"/>,
/// innermost of all locks but the orphan list's): an unlink, a close and a lookup of one inode run at
/// once under different locks, and the decision to destroy it must see all four as one.
/// </summary>
internal sealed class Inode
{
    public Inode(long ino, uint mode)
    {
        Ino = ino;
        Mode = mode;
        if (PosixMode.IsRegular(mode))
        {
            Extents = new ExtentMap();
        }
        else if (PosixMode.IsDirectory(mode))
        {
            Children = new DirectoryContents();
        }
    }

    public long Ino { get; }
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public ulong Rdev;
    public long Size;
    /// <summary>
    /// The size in the last durable commit. Its block, when partial, keeps zeros past it on disk, so writes
    /// into that block go copy-on-write: after a crash the size rolls back and no new bytes show past it (invariant 8).
    /// </summary>
    public long CommittedSize;
    /// <summary>The size in the commit being written, which a crash may return to as well; -1 when that commit does not change this inode.</summary>
    public long CommittingSize = -1;
    public long AccessTime;
    public long ModifyTime;
    public long ChangeTime;
    public long BirthTime;
    public WindowsAttributes WindowsAttributes;
    /// <summary>chattr flags; persisted in the inode_flags table, which holds only inodes whose flags are not None.</summary>
    public InodeFlags Flags;
    public bool FlagsChanged;
    public long SecurityId;
    public long Generation;
    public string? SymlinkTarget;
    /// <summary>For directories: the parent directory (the root is its own parent).</summary>
    public long Parent;
    public ExtentMap? Extents { get; }
    public DirectoryContents? Children { get; }
    /// <summary>Extended attributes; a published map is never changed, only replaced (<see cref="InodeXattrs"/>).</summary>
    public Dictionary<string, byte[]>? Xattrs;
    public bool XattrsChanged;
    /// <summary>Open handles; an unlinked inode lives on as an orphan until this and <see cref="References"/> drop to zero.</summary>
    public int OpenCount;
    /// <summary>References a host holds without a handle (the FUSE kernel's lookup count); never persisted.</summary>
    public long References;
    /// <summary>
    /// Set once, under the monitor, when nothing names or holds the inode and its destruction is decided:
    /// from then on no name, handle or reference may be taken (those answer NotFound).
    /// </summary>
    public bool Destroyed;
    /// <summary>Born without a name (O_TMPFILE): the one orphan a link may give a name again.</summary>
    public bool Linkable;
    /// <summary>Where the next allocation for this file should start, so its writes land contiguously.</summary>
    public long AllocationGoal = -1;
    /// <summary>Looked up since the eviction scan last passed it (the CLOCK bit of <see cref="InodeEviction"/>); never persisted.</summary>
    public bool Touched;
    /// <summary>Sequential read detection for readahead, made on the first read; never persisted.</summary>
    public Data.ReadaheadWindow? Readahead;

    /// <summary>Whether a handle or a host reference keeps the inode alive after its last name goes.</summary>
    public bool IsHeld => OpenCount > 0 || References > 0;
    public bool IsDirectory => Children != null;
    public bool IsRegular => Extents != null;
}
