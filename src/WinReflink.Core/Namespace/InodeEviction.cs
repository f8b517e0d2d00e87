using WinReflink.Core.Metadata;

namespace WinReflink.Core.Namespace;

/// <summary>
/// Keeps the inodes loaded from meta.db within a memory budget (issue 11): when what was loaded or
/// created since the last scan could take the resident set past the budget, a scan with the volume
/// lock held exclusively drops inodes until a quarter of the budget is free again, least recently used
/// first (CLOCK over <see cref="Inode.Touched"/>), and the cached entries of directories it keeps
/// (<see cref="DirectoryContents.DropClean"/>). An inode is dropped only when its row in meta.db is
/// its whole state and nothing refers to the object: not the root, not open, not an orphan, and in
/// neither the running nor the committing transaction (<see cref="VolumeState"/>'s invariant). A host's
/// references (the FUSE kernel's lookups) do not keep an inode that has a name: they are parked
/// (<see cref="ParkedReferences"/>) and put back when it is loaded again.
/// Calls reach inodes by number and resolve them under the lock, so an inode dropped between calls is
/// simply loaded again.
/// </summary>
internal sealed class InodeEviction
{
    /// <summary>What an inode costs beyond its entries, extents and attributes: the object, its dictionary slot, its maps' headers.</summary>
    private const long InodeBytes = 400;
    private const long EntryBytes = 160;
    private const long ExtentBytes = 96;
    private const long AttributeBytes = 64;

    private readonly VolumeState _state;
    private readonly long _budget;
    private readonly Func<Inode, bool> _pinned;
    private readonly ParkedReferences _parked;
    private readonly Action _schedule;
    /// <summary>Resident bytes the last scan found, plus what was loaded or created since, less what was destroyed since.</summary>
    private long _estimate;
    /// <summary>
    /// The estimate at which the next scan runs: the budget, or a quarter budget past what the last scan
    /// could not drop (open or changed inodes), so a scan that frees nothing is not run again at every
    /// load.
    /// </summary>
    private long _nextScan;
    private int _scheduled;
    private long _dropped;

    /// <summary>Cached directory entries the scans dropped since the volume opened (with the directories dropped whole); for tests.</summary>
    public long DroppedEntries { get; private set; }

    /// <param name="pinned">Whether a transaction holds the inode (its changes are not in meta.db yet).</param>
    /// <param name="parked">Where a dropped inode's host references wait for it to be loaded again.</param>
    /// <param name="schedule">Runs <see cref="EvictLocked"/> soon, with the volume lock held exclusively, on another thread.</param>
    public InodeEviction(VolumeState state, long budget, Func<Inode, bool> pinned, ParkedReferences parked, Action schedule)
    {
        _state = state;
        _budget = budget;
        _pinned = pinned;
        _parked = parked;
        _schedule = schedule;
        _nextScan = budget;
    }

    /// <summary>Estimated memory of one resident inode.</summary>
    public static long Footprint(Inode inode)
    {
        long bytes = InodeBytes + EntryBytes * (inode.Children?.LoadedCount ?? 0) + ExtentBytes * (inode.Extents?.LoadedCount ?? 0);
        if (inode.Xattrs is { } xattrs)
        {
            foreach (var (name, value) in xattrs)
            {
                bytes += AttributeBytes + 2L * name.Length + value.Length;
            }
        }
        return bytes;
    }

    /// <summary>An inode was loaded or created: schedules a scan when the estimate passes the budget. Thread-safe.</summary>
    public void Added(Inode inode) => Grew(Footprint(inode));

    /// <summary>
    /// An inode was destroyed (it left memory for good): gives back the bytes every count of it included.
    /// Without this a create-and-unlink churn on a volume at its budget keeps raising the estimate, and
    /// each time it passes the next scan's mark a scan walks every resident inode under the volume lock
    /// to find the memory already gone. Only <see cref="InodeBytes"/> is given back: the inode's entries,
    /// extents and attributes may have grown since it was counted, and giving back more than was counted
    /// would let the estimate fall below the resident set. Thread-safe.
    /// </summary>
    public void Destroyed() => Interlocked.Add(ref _estimate, -InodeBytes);

    /// <summary>A directory cached <paramref name="entries"/> more of its entries (lookups that read meta.db), as <see cref="Added"/>.</summary>
    public void Cached(int entries) => Grew(EntryBytes * entries);

    /// <summary>A file's map was read from meta.db at its first use (<see cref="Extents.IStoredExtents"/>), as <see cref="Added"/>.</summary>
    public void LoadedExtents(int extents) => Grew(ExtentBytes * extents);

    private void Grew(long bytes)
    {
        if (Interlocked.Add(ref _estimate, bytes) > Volatile.Read(ref _nextScan) && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _schedule();
        }
    }

    /// <summary>
    /// A commit made its inodes clean: schedules a scan if the resident set is past the budget, which
    /// inodes created or changed (pinned until then) may have put it without any load to notice.
    /// </summary>
    public void Committed()
    {
        if (Volatile.Read(ref _estimate) > _budget && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _schedule();
        }
    }

    /// <summary>
    /// Drops unpinned inodes until the resident set is within three quarters of the budget: first those
    /// not touched since the last pass (clearing the bit of those that were), then any unpinned one.
    /// The caller holds the volume lock exclusively, so no call holds an inode object meanwhile.
    /// </summary>
    /// <returns>How many inodes it dropped.</returns>
    public int EvictLocked()
    {
        Volatile.Write(ref _scheduled, 0);
        int dropped = 0;
        long total = 0;
        foreach (var inode in _state.Inodes.Values)
        {
            total += Footprint(inode);
        }
        long target = _budget - _budget / 4;
        for (int pass = 0; pass < 2 && total > target; pass++)
        {
            foreach (var inode in _state.Inodes.Values)
            {
                if (total <= target)
                {
                    break;
                }
                if (pass == 0 && inode.Touched)
                {
                    inode.Touched = false;
                    continue;
                }
                if (Evictable(inode))
                {
                    _parked.Park(inode);
                    _state.Inodes.TryRemove(inode.Ino, out _);
                    total -= Footprint(inode);
                    DroppedEntries += inode.Children?.LoadedCount ?? 0;
                    dropped++;
                }
                else if (inode.Children is { } entries)
                {
                    // A directory that stays (held by a host, changed) still lets go of the entries meta.db holds.
                    int entriesDropped = entries.DropClean();
                    total -= EntryBytes * entriesDropped;
                    DroppedEntries += entriesDropped;
                }
                else if (inode.Extents is { } map && MapDroppable(inode))
                {
                    total -= ExtentBytes * map.DropClean();
                }
            }
        }
        Volatile.Write(ref _nextScan, Math.Max(_budget, total + _budget / 4));
        Volatile.Write(ref _estimate, total);
        Interlocked.Add(ref _dropped, dropped);
        return dropped;
    }

    /// <summary>The cache's figures as of the last scan, plus what was loaded since.</summary>
    public MetadataStatistics Statistics() =>
        new(_state.Inodes.Count, Volatile.Read(ref _estimate), _budget, Interlocked.Read(ref _dropped), _parked.Count);

    /// <summary>
    /// Whether a file that stays may let go of its loaded map: not open (its data is in use) and in
    /// neither transaction. Invariant: a map changed since the last durable commit stays resident,
    /// because its inode is pinned until that commit is durable (and <see cref="Extents.ExtentMap.DropClean"/>
    /// keeps a map with changes not yet captured).
    /// </summary>
    private bool MapDroppable(Inode inode)
    {
        if (_pinned(inode))
        {
            return false;
        }
        lock (inode)
        {
            return inode.OpenCount == 0 && !inode.Destroyed;
        }
    }

    private bool Evictable(Inode inode)
    {
        if (inode.Ino == FileSystem.RootIno || _pinned(inode))
        {
            return false;
        }
        // An orphan (no name) that is held stays: its last release or FORGET destroys it, and its
        // rows may already be on their way out.
        lock (inode)
        {
            return inode.OpenCount == 0 && !inode.Destroyed && (inode.References == 0 || inode.Nlink > 0);
        }
    }
}
