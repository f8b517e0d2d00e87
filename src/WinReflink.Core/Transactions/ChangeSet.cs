using WinReflink.Core.Namespace;

namespace WinReflink.Core.Transactions;

/// <summary>
/// What the running transaction changed in the metadata, for the commit to write. The commit forgets
/// it only once SQLite has committed: until then it names the inodes whose changes a failure loses.
/// </summary>
internal sealed class ChangeSet
{
    public HashSet<Inode> ChangedInodes { get; } = new();
    public HashSet<long> DeletedInodes { get; } = new();
    public bool OrphansChanged { get; set; }
    public bool SettingsChanged { get; set; }

    public bool IsEmpty => ChangedInodes.Count == 0 && DeletedInodes.Count == 0 && !OrphansChanged && !SettingsChanged;

    /// <summary>The inode is gone: the commit deletes its rows instead of writing them.</summary>
    public void Deleted(Inode inode)
    {
        ChangedInodes.Remove(inode);
        DeletedInodes.Add(inode.Ino);
    }

    public void Clear()
    {
        ChangedInodes.Clear();
        DeletedInodes.Clear();
        OrphansChanged = false;
        SettingsChanged = false;
    }
}
