using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Metadata;

/// <summary>
/// What meta.db holds, in memory, as last loaded or changed since; what changed since the last commit is the
/// transaction's (<see cref="Transactions.ChangeSet"/>). Only the commit writes SQLite.
/// The volume-wide rows (settings, free space, descriptors, orphans) are always here; the shared ranges
/// are here whole after a full load, otherwise by physical segment as used (<see cref="RefcountTable"/>).
/// Inodes are here whole after a full load (<see cref="Loader"/> null: `check`, repair); otherwise an
/// inode is here once touched, and <see cref="Loader"/> reads the others from meta.db on demand.
/// Invariant (what makes a load on demand read the truth): every inode changed or created since the
/// last durable commit is in <see cref="Inodes"/>, and every inode destroyed since then is in
/// <see cref="DestroyedSinceCommit"/>, so meta.db's row of an inode in neither is its current state.
/// </summary>
internal sealed class VolumeState
{
    /// <param name="sharedRows">Where the shared table pages its rows from; null: the caller loads every row (<see cref="RefcountTable.Load"/>).</param>
    /// <param name="sharedBudget">With <paramref name="sharedRows"/>: the resident rows and segments past which clean ones are dropped.</param>
    public VolumeState(VolumeSettings settings, InodeLoader? loader, SharedRangeLoader? sharedRows = null, long sharedBudget = 0)
    {
        Settings = settings;
        Loader = loader;
        SharedRows = sharedRows;
        Refcounts = new RefcountTable(settings.SharedBlocks, settings.SavedBlocks, sharedRows, sharedBudget);
        Allocator = new Allocator(settings.CapacityBlocks);
        // Without every inode loaded no one can count a descriptor's users: descriptors then stay until
        // a repair collects the unused ones, as NTFS keeps $Secure entries until chkdsk.
        Security = new SecurityDescriptorTable(countsUsers: loader == null);
    }

    /// <summary>
    /// The volume as it stands, whole, for `check`: every stored inode (<paramref name="stored"/>, a full
    /// load of meta.db) replaced by its resident version in <paramref name="live"/> and without those
    /// destroyed since the last commit; the volume-wide tables, always resident, are the live ones, but
    /// for the shared table: the stored rows where the live table holds no segment (<see cref="RefcountTable.Overlay"/>). By
    /// <see cref="VolumeState"/>'s invariant this is the state the running transaction would commit.
    /// </summary>
    public static VolumeState Overlay(VolumeState stored, VolumeState live)
    {
        var whole = new VolumeState(live.Settings, null, RefcountTable.Overlay(stored.Refcounts, live.Refcounts), live.Allocator, live.Security);
        foreach (var (ino, inode) in stored.Inodes)
        {
            if (!live.DestroyedSinceCommit.ContainsKey(ino))
            {
                whole.Inodes[ino] = inode;
            }
        }
        foreach (var (ino, inode) in live.Inodes)
        {
            whole.Inodes[ino] = inode;
        }
        whole.Orphans.UnionWith(live.Orphans);
        whole.DanglingRows.AddRange(stored.DanglingRows);
        whole.ChecksumFailures.AddRange(stored.ChecksumFailures);
        whole.BadRows.AddRange(stored.BadRows);
        return whole;
    }

    private VolumeState(VolumeSettings settings, InodeLoader? loader, RefcountTable refcounts, Allocator allocator, SecurityDescriptorTable security)
    {
        Settings = settings;
        Loader = loader;
        Refcounts = refcounts;
        Allocator = allocator;
        Security = security;
    }

    public VolumeSettings Settings { get; }
    /// <summary>Reads inodes that are not resident; null when every inode is (a full load).</summary>
    public InodeLoader? Loader { get; }
    /// <summary>Reads the shared table's rows by segment (<see cref="RefcountTable"/>); null when they were loaded whole.</summary>
    public SharedRangeLoader? SharedRows { get; }
    /// <summary>The resident inodes by number. Concurrent: lookups and loads run beside creations and reclaims in other directories.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, Inode> Inodes { get; } = new();
    /// <summary>Inodes destroyed since the last durable commit: meta.db still has their rows, which must not be loaded.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, byte> DestroyedSinceCommit { get; } = new();
    public RefcountTable Refcounts { get; }
    public Allocator Allocator { get; }
    public SecurityDescriptorTable Security { get; }
    /// <summary>Inodes with no name that something holds; changed only through <see cref="InodeTable"/>, under its lock, while the volume is open.</summary>
    public HashSet<long> Orphans { get; } = new();

    /// <summary>Rows found at load that belong to no object (a corrupt store); `check` reports them.</summary>
    public List<DanglingRow> DanglingRows { get; } = new();

    /// <summary>Tables whose dangling rows (<see cref="MetadataStore.DanglingRowTables"/>) the next commit deletes (`check --repair`).</summary>
    public HashSet<string> DropDanglingRows { get; } = new(StringComparer.Ordinal);

    /// <summary>Rows whose checksum did not match their values at load, named by table and key; `check` reports them.</summary>
    public List<string> ChecksumFailures { get; } = new();

    /// <summary>Rows holding a value the engine cannot represent (a count past 32 bits); `check` reports them.</summary>
    public List<string> BadRows { get; } = new();
}
