using WinReflink.Core.Metadata;

namespace WinReflink.Core.Check;

/// <summary>
/// The pass over the inodes in ino order, merged with every table keyed by ino (extents, extended
/// attributes, flags, orphans, and the directory entries sorted by the inode they name): each inode's
/// own fields, its extent map, its security id, its names and links, and the rows of inodes that do
/// not exist. Holds one row of each table.
/// </summary>
internal sealed partial class StoredVolumeChecker
{
    /// <summary>The inode row's columns as the volume's format has them: from version 6 on, the mapped block count last (<see cref="StoredRows.BlocksColumn"/>).</summary>
    private string[] InodeColumns => _storedBlocks ? RowChecksums.Table("inodes").Columns : RowChecksums.Table("inodes").Columns[..StoredRows.BlocksColumn];

    /// <summary>The columns of an inode row the checks use, read as the load reads them; <see cref="Blocks"/> null before format version 6.</summary>
    private readonly record struct InodeRow(long Ino, uint Mode, uint Nlink, long Size, long SecurityId, long Parent, string? SymlinkTarget, bool SecurityExists, long? Blocks)
    {
        public bool IsDirectory => PosixMode.IsDirectory(Mode);
        public bool IsRegular => PosixMode.IsRegular(Mode);
    }

    private void CheckInodes()
    {
        string[] inodeColumns = InodeColumns;
        int securityColumn = ExtraColumn(inodeColumns.Length);
        // Every cursor is in ino order (each table's key), so one step of the inodes moves the others past it.
        using var inodes = Open(Select("inodes", string.Join(", ", inodeColumns),
            ", secid = 0 OR EXISTS (SELECT 1 FROM security s WHERE s.id = inodes.secid)", " ORDER BY ino"));
        using var extents = Open(Select("extents", "ino, logical, physical, length, unwritten", tail: " ORDER BY ino, logical"));
        using var xattrs = Open(Select("xattrs", "ino, name, value", tail: " ORDER BY ino, name"));
        using var flags = HasFlagsTable() ? Open("SELECT ino, flags FROM inode_flags ORDER BY ino") : null;
        using var orphans = Open(Select("orphans", "ino", tail: " ORDER BY ino"));
        using var names = _rootIsDirectory ? OpenNamesByInode() : null;
        using var subdirectories = _rootIsDirectory ? OpenSubdirectoryCounts() : null;
        long files = 0, directories = 0;
        for (; inodes.HasRow; inodes.Next())
        {
            var inode = ReadInode(inodes.Row, inodeColumns, securityColumn);
            long ino = inode.Ino;
            if (PosixMode.IsDirectory(inode.Mode))
            {
                directories++;
            }
            else
            {
                files++;
            }
            CheckOwnFields(inode);
            for (; extents.HasRow && extents.Key < ino; extents.Next())
            {
                DanglingExtent(extents.Row);
            }
            if (inode.IsRegular)
            {
                CheckExtentMap(extents, inode);
            }
            for (; extents.HasRow && extents.Key == ino; extents.Next())
            {
                DanglingExtent(extents.Row);
            }
            CheckXattrs(xattrs, ino);
            CheckFlags(flags, ino);
            bool orphan = OrphanRecord(orphans, ino);
            if (names != null && subdirectories != null)
            {
                var named = CheckNamesOf(names, inode);
                CheckLinks(inode, named, SubdirectoryCount(subdirectories, ino), orphan);
            }
        }
        // What is left belongs to no inode.
        for (; extents.HasRow; extents.Next())
        {
            DanglingExtent(extents.Row);
        }
        CheckXattrs(xattrs, null);
        CheckFlags(flags, null);
        OrphanRecord(orphans, null);
        if (names != null)
        {
            CheckNamesOf(names, null);
        }
        CheckCounts(files, directories);
    }

    /// <summary>The counts the settings keep (format version 4) against the rows: inodes by kind, and the extent rows of regular files.</summary>
    private void CheckCounts(long files, long directories) =>
        InodeRules.CheckCounts(
            (StoredSetting("files") ?? _settings.FileCount, StoredSetting("directories") ?? _settings.DirectoryCount, StoredSetting("extents") ?? _settings.ExtentCount),
            (files, directories, _regularExtents), Add);

    /// <summary>The row as the load turns it into an inode: checksum, values past 32 bits, every column of the type its schema gives.</summary>
    private InodeRow ReadInode(RowReader r, string[] columns, int securityColumn)
    {
        Verify(r, "inodes", columns.Length);
        long ino = r.GetInt64(0);
        foreach (int column in (ReadOnlySpan<int>)[1, 2, 3, 4, 11])
        {
            if ((ulong)r.GetInt64(column) > uint.MaxValue)
            {
                BadRow(Inv($"inodes row (ino {ino}): {columns[column]} {r.GetInt64(column)} does not fit 32 bits"));
            }
        }
        foreach (int column in (ReadOnlySpan<int>)[5, 7, 8, 9, 10, 13])
        {
            r.GetInt64(column);
        }
        uint mode = (uint)r.GetInt64(1);
        if (PosixMode.IsDirectory(mode))
        {
            r.GetInt64(16);
        }
        long? blocks = _storedBlocks ? r.GetInt64(StoredRows.BlocksColumn) : null;
        if (blocks is { } stored && StoredRows.BadBlocks(ino, mode, stored) is { } bad)
        {
            BadRow(bad);
        }
        return new InodeRow(ino, mode, (uint)r.GetInt64(2), r.GetInt64(6), r.GetInt64(12), r.GetInt64(14),
            r.IsDBNull(15) ? null : r.GetString(15), r.GetInt64(securityColumn) != 0, blocks);
    }

    /// <summary>The inode's own fields, and a security descriptor that exists.</summary>
    private void CheckOwnFields(InodeRow inode)
    {
        InodeRules.CheckFields(inode.Ino, inode.Mode, inode.Size, Add);
        if (inode.SecurityId != 0 && !inode.SecurityExists)
        {
            Add(3, "security descriptor id that does not exist", inode.Ino, null, Inv($"descriptor {inode.SecurityId}"), "missing");
        }
    }

    /// <summary>An extent of an inode that does not exist or is not a regular file: the load keeps none of them.</summary>
    private void DanglingExtent(RowReader r)
    {
        Verify(r, "extents", 5);
        Dangling(Inv($"extent at logical block {r.GetInt64(1)} of inode {r.GetInt64(0)}, which is not a regular file"));
    }

    /// <summary>
    /// One file's extents in logical order: each within the largest file, the volume, and the file's
    /// size; none overlapping the one before. The mappings the load keeps go to the coverage sort;
    /// the block holding the partial last block goes to the sort of blocks whose bytes past the end
    /// must be zeros (<see cref="CheckZeroTails"/>).
    /// </summary>
    private void CheckExtentMap(RowCursor extents, InodeRow inode)
    {
        int blockSize = _settings.BlockSize;
        var rules = new InodeRules.ExtentMapCheck(inode.Ino, inode.Size, blockSize, _settings.CapacityBlocks);
        long lastBlock = inode.Size / blockSize;
        // The extent with the greatest logical start at or before the last block (the map's floor of it).
        (long Logical, long Physical, long Length, bool Unwritten)? lastFloor = null;
        for (; extents.HasRow && extents.Key == inode.Ino; extents.Next())
        {
            var r = extents.Row;
            Verify(r, "extents", 5);
            _regularExtents++;
            long logical = r.GetInt64(1), physical = r.GetInt64(2), length = r.GetInt64(3);
            bool unwritten = r.GetInt64(4) != 0;
            if (logical <= lastBlock)
            {
                lastFloor = (logical, physical, length, unwritten);
            }
            if (rules.Next(logical, physical, length, unwritten, Add))
            {
                _coverage.Add(physical, 1);
                _coverage.Add(physical + length, -1);
            }
        }
        if (inode.Blocks is { } blocks)
        {
            rules.Finish(blocks, Add);
        }
        if (_read != null && lastFloor is { } e && lastBlock < e.Logical + e.Length && !e.Unwritten
            && inode.Size > 0 && inode.Size <= FileSystem.MaxFileSize && inode.Size % blockSize != 0)
        {
            QueueZeroTail(inode, e.Physical + (lastBlock - e.Logical));
        }
    }

    /// <summary>Extended attributes up to the inode's (all that are left when null); those of inodes that do not exist are dangling.</summary>
    private void CheckXattrs(RowCursor xattrs, long? ino)
    {
        for (; xattrs.HasRow && (ino == null || xattrs.Key <= ino); xattrs.Next())
        {
            var r = xattrs.Row;
            Verify(r, "xattrs", 3);
            if (r.GetInt64(0) == ino)
            {
                r.GetString(1);
                r.GetBlob(2);
            }
            else
            {
                Dangling($"extended attribute '{r.GetString(1)}' of inode {r.GetInt64(0)}, which does not exist");
            }
        }
    }

    /// <summary>Flag rows up to the inode's, as <see cref="CheckXattrs"/> (no checksums: the table predates them).</summary>
    private void CheckFlags(RowCursor? flags, long? ino)
    {
        for (; flags != null && flags.HasRow && (ino == null || flags.Key <= ino); flags.Next())
        {
            var r = flags.Row;
            if (r.GetInt64(0) == ino)
            {
                r.GetInt64(1);
            }
            else
            {
                Dangling(Inv($"flags of inode {r.GetInt64(0)}, which does not exist"));
            }
        }
    }

    /// <summary>Whether the inode has an orphan record; records up to it (all left when null) of inodes that do not exist are reported.</summary>
    private bool OrphanRecord(RowCursor orphans, long? ino)
    {
        bool found = false;
        for (; orphans.HasRow && (ino == null || orphans.Key <= ino); orphans.Next())
        {
            Verify(orphans.Row, "orphans", 1);
            long orphan = orphans.Key;
            if (orphan == ino)
            {
                found = true;
            }
            else if (_rootIsDirectory)
            {
                Add(3, "orphan record of an inode that does not exist", orphan, null, "a live inode", "missing");
            }
        }
        return found;
    }
}
