using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Metadata;

/// <summary>
/// The columns each load reads and how a row becomes an object: one definition for the full load
/// (`check`, repair) and the load on demand (<see cref="InodeLoader"/>), so the two cannot read a row
/// differently. Every query ends with the row's checksum when the volume has them (<see cref="RowChecksums"/>).
/// </summary>
internal static class StoredRows
{
    private const string InodeColumnsBefore6 = "ino, mode, nlink, uid, gid, rdev, size, atime, mtime, ctime, btime, winattrs, secid, generation, parent, symlink, next_cookie";
    /// <summary>Where the inode row keeps its mapped block count (format version 6).</summary>
    public const int BlocksColumn = 17;
    /// <summary>Where the dirents row keeps its entry's type (format version 6).</summary>
    public const int DirentTypeColumn = 5;
    /// <summary>The dirents columns a load reads: from format version 6 on (<paramref name="typed"/>), the entry's type last.</summary>
    public static string DirentColumns(bool typed) => typed ? "parent, key, name, ino, cookie, type" : "parent, key, name, ino, cookie";
    public const string ExtentColumns = "ino, logical, physical, length, unwritten";
    public const string XattrColumns = "ino, name, value";

    /// <summary>The inodes columns a load reads: from format version 6 on (<paramref name="storedBlocks"/>), the mapped block count last.</summary>
    public static string InodeColumns(bool storedBlocks) => storedBlocks ? InodeColumnsBefore6 + ", blocks" : InodeColumnsBefore6;

    /// <summary>The SELECT with the row's checksum as its last column, when the volume has checksums (format version 2 on).</summary>
    public static string WithChecksum(string select, bool verify) =>
        verify ? select.Replace(" FROM ", ", crc FROM ", StringComparison.Ordinal) : select;

    /// <summary>The inodes columns that hold 32-bit values (mode, nlink, uid, gid, winattrs).</summary>
    private static ReadOnlySpan<int> NarrowInodeColumns => [1, 2, 3, 4, 11];

    /// <summary>
    /// The inode of the reader's current inodes row (<see cref="InodeColumns"/>); a value too wide for its
    /// field is described into <paramref name="badRows"/>. With <paramref name="storedBlocks"/> the row's
    /// block count becomes the map's <see cref="ExtentMap.MappedBlocks"/>; without, the caller counts it
    /// over the extents it loads (<see cref="ExtentMap.Recount"/>).
    /// </summary>
    public static Inode Inode(RowReader r, ICollection<string> badRows, bool storedBlocks)
    {
        foreach (int column in NarrowInodeColumns)
        {
            if ((ulong)r.GetInt64(column) > uint.MaxValue)
            {
                badRows.Add($"inodes row (ino {r.GetInt64(0)}): {r.GetName(column)} {r.GetInt64(column)} does not fit 32 bits");
            }
        }
        var inode = new Inode(r.GetInt64(0), (uint)r.GetInt64(1))
        {
            Nlink = (uint)r.GetInt64(2),
            Uid = (uint)r.GetInt64(3),
            Gid = (uint)r.GetInt64(4),
            Rdev = (ulong)r.GetInt64(5),
            Size = r.GetInt64(6),
            CommittedSize = r.GetInt64(6),
            AccessTime = r.GetInt64(7),
            ModifyTime = r.GetInt64(8),
            ChangeTime = r.GetInt64(9),
            BirthTime = r.GetInt64(10),
            WindowsAttributes = (WindowsAttributes)r.GetInt64(11),
            SecurityId = r.GetInt64(12),
            Generation = r.GetInt64(13),
            Parent = r.GetInt64(14),
            SymlinkTarget = r.IsDBNull(15) ? null : r.GetString(15),
        };
        if (inode.Children != null)
        {
            inode.Children.NextCookie = r.GetInt64(16);
        }
        if (storedBlocks)
        {
            long blocks = r.GetInt64(BlocksColumn);
            if (BadBlocks(inode.Ino, inode.Mode, blocks) is { } bad)
            {
                badRows.Add(bad);
            }
            inode.Extents?.LoadBlocks(blocks);
        }
        return inode;
    }

    /// <summary>An inode row's block count that no map can have (negative, or not 0 on an inode that is not a regular file), described; null when it can be.</summary>
    public static string? BadBlocks(long ino, uint mode, long blocks) =>
        blocks < 0 ? $"inodes row (ino {ino}): blocks {blocks} is negative"
        : blocks != 0 && !PosixMode.IsRegular(mode) ? $"inodes row (ino {ino}): blocks {blocks} on an inode that is not a regular file"
        : null;

    /// <summary>The entry of the reader's current dirents row (its parent is column 0); without the type column, of type <see cref="EntryType.Unknown"/>.</summary>
    public static DirectoryRecord Dirent(RowReader r, bool typed) =>
        new(r.GetString(2), r.GetString(1), r.GetInt64(3), r.GetInt64(4), typed ? r.GetInt64(5) : EntryType.Unknown);

    /// <summary>The extent of the reader's current extents row, keyed by its logical block (column 1).</summary>
    public static ExtentValue Extent(RowReader r) => new(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4) != 0);

    /// <summary>Adds the reader's current xattrs row to the inode's attributes.</summary>
    public static void Xattr(RowReader r, Inode inode)
    {
        inode.Xattrs ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
        inode.Xattrs[r.GetString(1)] = r.GetBlob(2);
    }
}
