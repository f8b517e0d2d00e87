namespace WinReflink.Core.Check;

/// <summary>
/// The rules one inode obeys by itself: its own fields, each of its extents, and its link count
/// against the entries naming it. The loaded check (<see cref="VolumeChecker"/>) and the stored one
/// (<see cref="StoredVolumeChecker"/>) both apply them, so both report a broken rule alike.
/// </summary>
internal static class InodeRules
{
    public delegate void Report(int invariant, string what, long? ino, long? block, string expected, string found);

    /// <summary>A known file type, a size a file of that type can have, a positive number.</summary>
    public static void CheckFields(long ino, uint mode, long size, Report add)
    {
        uint type = mode & PosixMode.TypeMask;
        if (mode > 0xFFFF || type is not (PosixMode.Regular or PosixMode.Directory or PosixMode.Symlink or PosixMode.Fifo
            or PosixMode.CharDevice or PosixMode.BlockDevice or PosixMode.Socket))
        {
            add(3, "unknown file type", ino, null, "a POSIX st_mode with a file type", $"mode 0x{mode:X}");
        }
        long maxSize = PosixMode.IsRegular(mode) ? FileSystem.MaxFileSize : long.MaxValue;
        if (size < 0 || size > maxSize)
        {
            add(8, "size out of range", ino, null, $"0..{maxSize}", $"{size}");
        }
        if (ino <= 0)
        {
            add(3, "inode number out of range", ino, null, "a positive number", $"{ino}");
        }
    }

    /// <summary>
    /// The type a directory entry keeps (format version 6) is its inode's: a listing answers with it and
    /// loads no inode, so a wrong one would be believed. The entry is named in its directory <paramref name="dir"/>.
    /// </summary>
    public static void CheckEntryType(string name, long dir, long type, uint mode, Report add)
    {
        long expected = Namespace.EntryType.Of(mode);
        if (type != expected)
        {
            add(3, $"entry '{name}' has the wrong file type", dir, null, $"type {expected}, its inode's", $"type {type}");
        }
    }

    /// <summary>The file, directory and extent counts the settings keep (format version 4) against those counted over the inodes.</summary>
    public static void CheckCounts((long Files, long Directories, long Extents) stored, (long Files, long Directories, long Extents) counted, Report add)
    {
        CheckCount("files", stored.Files, counted.Files, add);
        CheckCount("directories", stored.Directories, counted.Directories, add);
        CheckCount("extents", stored.Extents, counted.Extents, add);
    }

    /// <summary>The shared and saved block totals the settings keep (format version 5) against those summed over the shared rows.</summary>
    public static void CheckSharingTotals((long Shared, long Saved) stored, (long Shared, long Saved) summed, Report add)
    {
        CheckCount("shared blocks", stored.Shared, summed.Shared, add);
        CheckCount("saved blocks", stored.Saved, summed.Saved, add);
    }

    private static void CheckCount(string what, long kept, long found, Report add)
    {
        if (kept != found)
        {
            add(3, $"the settings count the wrong number of {what}", null, null, $"{found}", $"{kept}");
        }
    }

    /// <summary>
    /// Link counts against the names (<paramref name="names"/> entries name the inode) and, for a
    /// directory, its subdirectories; orphans; a symbolic link's target; the next inode number.
    /// <paramref name="entries"/> counts a directory's entries, asked only of an orphan directory.
    /// </summary>
    public static void CheckLinks(long ino, uint mode, uint nlink, string? symlinkTarget, int names, int subdirectories, bool orphan,
        Func<long> entries, long nextIno, Report add)
    {
        bool directory = PosixMode.IsDirectory(mode);
        if (directory && names == 0 && orphan)
        {
            // A removed directory a program still had open or as its working directory.
            long count = entries();
            if (nlink != 0 || count > 0)
            {
                add(3, "orphan directory with links or entries", ino, null, "nlink 0, empty", $"nlink {nlink}, {count} entries");
            }
        }
        else if (directory)
        {
            uint expected = (uint)(2 + subdirectories);
            int expectedNames = ino == FileSystem.RootIno ? 0 : 1;
            if (names != expectedNames)
            {
                add(3, "directory is named by the wrong number of entries", ino, null, $"{expectedNames}", $"{names}");
            }
            if (nlink != expected)
            {
                add(3, "directory link count is wrong", ino, null, $"nlink {expected}", $"nlink {nlink}");
            }
        }
        else if (names == 0 && orphan)
        {
            if (nlink != 0)
            {
                add(3, "orphan with links", ino, null, "nlink 0", $"nlink {nlink}");
            }
        }
        else if (nlink != names)
        {
            add(3, "link count differs from the entries naming the inode", ino, null, $"nlink {names}", $"nlink {nlink}");
        }
        if (PosixMode.IsSymlink(mode) && string.IsNullOrEmpty(symlinkTarget))
        {
            add(3, "symbolic link without a target", ino, null, "a target", "none");
        }
        if (ino >= nextIno)
        {
            add(3, "inode number at or past the next free number", ino, null, $"below {nextIno}", $"{ino}");
        }
    }

    /// <summary>
    /// The extents of one regular file, given in logical order: each within the largest file and the
    /// volume, written ones within the file's size, none overlapping the one before.
    /// </summary>
    public struct ExtentMapCheck
    {
        private readonly long _ino;
        private readonly long _size;
        private readonly long _capacity;
        private readonly long _maxFileBlocks;
        private readonly long _eofBlocks;
        private long _prevEnd;
        /// <summary>The lengths of the extents so far, which the inode row's block count must equal.</summary>
        private long _mapped;

        public ExtentMapCheck(long ino, long size, int blockSize, long capacityBlocks)
        {
            _ino = ino;
            _size = size;
            _capacity = capacityBlocks;
            _maxFileBlocks = FileSystem.MaxFileSize / blockSize;
            _eofBlocks = size / blockSize + (size % blockSize != 0 ? 1 : 0);
            _prevEnd = long.MinValue;
        }

        /// <summary>Checks the next extent; true when it maps blocks inside the volume (which then count as mapped).</summary>
        public bool Next(long logical, long physical, long length, bool unwritten, Report add)
        {
            _mapped = unchecked(_mapped + length);
            if (length <= 0)
            {
                add(1, "extent with no length", _ino, logical, "length > 0", $"{length}");
                return false;
            }
            if (logical < 0 || length > _maxFileBlocks - logical)
            {
                add(1, "extent outside the largest file", _ino, logical, $"logical blocks within 0..{_maxFileBlocks}", $"{logical}+{length}");
                return false;
            }
            if (logical < _prevEnd)
            {
                add(1, "extents overlap in the file", _ino, logical, $"logical start >= {_prevEnd}", $"{logical}");
            }
            _prevEnd = logical + length;
            // Written so that huge values cannot overflow into a range that looks valid.
            if (physical < 0 || physical >= _capacity || length > _capacity - physical)
            {
                add(2, "extent outside the volume", _ino, physical, $"physical blocks within 0..{_capacity}", $"{physical}+{length}");
                return false;
            }
            if (!unwritten && logical + length > _eofBlocks && _size >= 0)
            {
                add(8, "written extent past end of file", _ino, logical, $"blocks below {_eofBlocks}", $"extent to {logical + length}");
            }
            return true;
        }

        /// <summary>After the last extent: the block count the inode keeps (its row's, format version 6) is the sum of the extents' lengths.</summary>
        public readonly void Finish(long storedBlocks, Report add)
        {
            if (storedBlocks != _mapped)
            {
                add(3, "the inode counts the wrong number of mapped blocks", _ino, null, $"{_mapped}", $"{storedBlocks}");
            }
        }
    }
}
