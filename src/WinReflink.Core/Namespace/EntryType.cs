namespace WinReflink.Core.Namespace;

/// <summary>
/// A directory entry's file type as the dirents row keeps it (format version 6, as ext4's and XFS's
/// ftype): the mode's type bits shifted down, (mode &amp; S_IFMT) &gt;&gt; 12, which is also Linux's d_type
/// (DT_FIFO 1, DT_CHR 2, DT_DIR 4, DT_BLK 6, DT_REG 8, DT_LNK 10, DT_SOCK 12). 0 is DT_UNKNOWN: what an
/// entry read from a volume without the column has, and what the upgrade gives an entry naming no inode.
/// </summary>
internal static class EntryType
{
    public const long Unknown = 0;

    /// <summary>The type of an entry naming an inode of this mode.</summary>
    public static long Of(uint mode) => (mode & PosixMode.TypeMask) >> 12;

    /// <summary>Whether the stored value is a type an inode can have (so a listing may answer with it and load no inode).</summary>
    public static bool IsKnown(long type) => type is 1 or 2 or 4 or 6 or 8 or 10 or 12;

    /// <summary>The mode bits of a known type (the permissions left zero).</summary>
    public static uint Mode(long type) => (uint)type << 12;
}
