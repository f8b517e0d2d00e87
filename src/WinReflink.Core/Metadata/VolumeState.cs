using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Everything meta.db holds, in memory, as last loaded or changed since; what changed since the last commit is the
/// transaction's (<see cref="Transactions.ChangeSet"/>). Only the commit talks to SQLite.
/// </summary>
internal sealed class VolumeState
{
    public VolumeState(VolumeSettings settings)
    {
        Settings = settings;
        Allocator = new Allocator(settings.CapacityBlocks);
    }

    public VolumeSettings Settings { get; }
    /// <summary>Every inode by number. Concurrent: lookups run beside creations and reclaims in other directories.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, Inode> Inodes { get; } = new();
    public RefcountTable Refcounts { get; } = new();
    public Allocator Allocator { get; }
    public SecurityDescriptorTable Security { get; } = new();
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
