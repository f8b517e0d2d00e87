using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Metadata;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Namespace;

/// <summary>
/// The inodes: lookup by number, attributes as the hosts see them, creation (numbers and generations
/// from the settings), and lifetime (link counts reaching zero, orphans, destruction). Invariants on
/// entry and on return of every call: every inode a directory entry or the orphan list names exists;
/// an inode with no name is in the orphan list while a handle or a host reference holds it, and is
/// destroyed when neither does, unless the volume is read-only (then the next open reclaims it).
/// Callers hold the volume lock, and the locks of the inodes and directories they change exclusively;
/// the orphan list has a lock of its own, and an inode's lifetime fields its monitor (<see cref="Inode"/>).
/// The parts that change an existing inode are components of their own,
/// built here over the same state: <see cref="AttributeWriter"/>, <see cref="Xattrs"/>,
/// <see cref="Security"/> and <see cref="Opens"/> (what holds an inode besides its names).
/// </summary>
internal sealed class InodeTable
{
    private readonly VolumeState _state;
    private readonly Transaction _transaction;
    private readonly DataPath _data;
    private readonly VolumeHealth _health;
    private readonly InodeEviction _eviction;
    private readonly ParkedReferences _parked;
    private readonly int _blockSize;
    /// <summary>The orphan list's own lock: unlinks and closes of different inodes change it at once. Taken inside an inode's monitor, never around one.</summary>
    private readonly Lock _orphansGate = new();
    /// <summary>Serializes loads from meta.db (<see cref="Load"/>); innermost, taken under any other lock.</summary>
    private readonly Lock _loading = new();

    public InodeTable(VolumeState state, Transaction transaction, DataPath data, VolumeHealth health, InodeEviction eviction, ParkedReferences parked, int blockSize)
    {
        _state = state;
        _health = health;
        _eviction = eviction;
        _parked = parked;
        _transaction = transaction;
        _data = data;
        _blockSize = blockSize;
        AttributeWriter = new InodeAttributeWriter(transaction, data);
        Xattrs = new InodeXattrs(transaction);
        Security = new InodeSecurity(state.Security, transaction);
        Opens = new OpenCounts(this, parked);
        if (state.Loader != null)
        {
            state.Loader.ExtentsLoaded = eviction.LoadedExtents;
        }
    }

    public InodeAttributeWriter AttributeWriter { get; }
    public InodeXattrs Xattrs { get; }
    public InodeSecurity Security { get; }
    public OpenCounts Opens { get; }

    /// <summary>Inodes on the volume, resident or not.</summary>
    public long Count => _state.Settings.FileCount + _state.Settings.DirectoryCount;

    public Inode Root => Named(FileSystem.RootIno);

    /// <summary>The inodes in memory: every one open, nameless but held, or changed since the last commit, and others touched lately.</summary>
    public IEnumerable<Inode> Resident => _state.Inodes.Values;

    /// <summary>
    /// The inode, from memory or loaded from meta.db (<see cref="VolumeState"/>'s invariant says the
    /// row is then current); NotFound when it does not exist. A damaged row stops the volume, as
    /// corruption found while running does, and answers Corrupt.
    /// </summary>
    public FsError TryGet(long ino, out Inode inode)
    {
        if (_state.Inodes.TryGetValue(ino, out inode!))
        {
            inode.Touched = true;
            return FsError.Ok;
        }
        Inode? loaded;
        try
        {
            loaded = Load(ino);
        }
        catch (CorruptionException e)
        {
            return _health.Corrupt(e.What, e.Ino, e.Block);
        }
        if (loaded == null)
        {
            return FsError.NotFound;
        }
        inode = loaded;
        return FsError.Ok;
    }

    /// <summary>
    /// Loads those of <paramref name="inos"/> that are not resident, <see cref="InodeLoader.BatchSize"/>
    /// at a time: a listing's page of entries costs a few queries, not a few per entry. A damaged row
    /// stops the volume, as in <see cref="TryGet"/>; the entries then answer Corrupt when resolved.
    /// </summary>
    public void Preload(IReadOnlyList<long> inos)
    {
        if (_state.Loader == null)
        {
            return;
        }
        var batch = new List<long>(InodeLoader.BatchSize);
        for (int start = 0; start < inos.Count; start += InodeLoader.BatchSize)
        {
            lock (_loading)
            {
                batch.Clear();
                for (int i = start; i < Math.Min(inos.Count, start + InodeLoader.BatchSize); i++)
                {
                    if (inos[i] > 0 && !_state.Inodes.ContainsKey(inos[i]) && !_state.DestroyedSinceCommit.ContainsKey(inos[i]))
                    {
                        batch.Add(inos[i]);
                    }
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                try
                {
                    foreach (var inode in _state.Loader.LoadMany(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch)))
                    {
                        Admit(inode);
                    }
                }
                catch (CorruptionException e)
                {
                    _health.Corrupt(e.What, e.Ino, e.Block);
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Reads an inode that is not resident. One load at a time, so two callers missing the same inode
    /// get one object (the inode locks and monitors rely on one object per number). A destroyed inode is
    /// removed from the resident set only after it is recorded as destroyed, so a load that finds it not
    /// resident finds the record.
    /// </summary>
    private Inode? Load(long ino)
    {
        if (_state.Loader == null || ino <= 0)
        {
            return null;
        }
        lock (_loading)
        {
            if (_state.Inodes.TryGetValue(ino, out var raced))
            {
                return raced;
            }
            if (_state.DestroyedSinceCommit.ContainsKey(ino))
            {
                return null;
            }
            var inode = _state.Loader.Load(ino);
            if (inode != null)
            {
                Admit(inode);
            }
            return inode;
        }
    }

    /// <summary>A loaded inode joins the resident set, with the host references it had when dropped, and counts against the metadata budget. Call under <see cref="_loading"/>.</summary>
    private void Admit(Inode inode)
    {
        // Loaded is used: a listing's page preloaded for the host's attribute requests that follow must
        // not be the next scan's first victims.
        inode.Touched = true;
        _parked.Restore(inode);
        inode.Children?.Page(_state.Loader!, inode.Ino, _eviction.Cached);
        _state.Inodes[inode.Ino] = inode;
        _eviction.Added(inode);
    }

    /// <summary>
    /// Gives back host references of an inode that is not resident, without loading it: its references
    /// are parked (<see cref="ParkedReferences"/>) and it has a name, so no destruction can follow. False
    /// when the inode is resident: the caller unreferences the object.
    /// </summary>
    public bool UnreferenceIfNotResident(long ino, long count)
    {
        lock (_loading)
        {
            if (_state.Loader == null || _state.Inodes.ContainsKey(ino))
            {
                return false;
            }
            _parked.Drop(ino, count);
            return true;
        }
    }

    public FsError TryGetDirectory(long ino, out Inode dir)
    {
        var e = TryGet(ino, out dir);
        if (e != FsError.Ok)
        {
            return e;
        }
        return dir.IsDirectory ? FsError.Ok : FsError.NotDirectory;
    }

    public FsError TryGetRegular(long ino, out Inode file)
    {
        var e = TryGet(ino, out file);
        if (e != FsError.Ok)
        {
            return e;
        }
        if (file.IsDirectory)
        {
            return FsError.IsDirectory;
        }
        return file.IsRegular ? FsError.Ok : FsError.InvalidArgument;
    }

    /// <summary>
    /// The inode an entry of <paramref name="dir"/> names. A missing one breaks the table's invariant:
    /// <see cref="CorruptionException"/>, naming the inode, for the caller's guard to stop the volume.
    /// </summary>
    public Inode Named(Inode dir, long ino) =>
        TryGet(ino, out var inode) == FsError.Ok ? inode
            : throw new CorruptionException($"directory {dir.Ino} has an entry for inode {ino}, which does not exist", ino, -1);

    /// <summary>An inode the volume's structure names (the root, a directory's parent): missing, it is corruption.</summary>
    public Inode Named(long ino) =>
        TryGet(ino, out var inode) == FsError.Ok ? inode
            : throw new CorruptionException($"inode {ino}, which the volume's structure names, does not exist", ino, -1);

    /// <summary>The inode as the hosts see it.</summary>
    public InodeAttributes Attributes(Inode i)
    {
        var win = i.WindowsAttributes;
        if (i.IsDirectory)
        {
            win |= WindowsAttributes.Directory;
        }
        if ((i.Flags & InodeFlags.Immutable) != 0)
        {
            // What Windows programs know of an immutable file; clearing ReadOnly does not clear the flag.
            win |= WindowsAttributes.ReadOnly;
        }
        return new InodeAttributes(i.Ino, i.Mode, i.Nlink, i.Uid, i.Gid, i.Rdev, i.Size,
            (i.Extents?.MappedBlocks ?? 0) * _blockSize, i.AccessTime, i.ModifyTime, i.ChangeTime, i.BirthTime,
            win, i.Generation, _blockSize);
    }

    /// <summary>
    /// A new inode with one name in <paramref name="dir"/> (two links for a directory); the caller,
    /// holding <paramref name="dir"/>'s lock exclusively, adds the entry. Numbers and generations are
    /// taken atomically: creations in other directories run at once.
    /// </summary>
    public Inode Create(Inode dir, CreateRequest request)
    {
        long now = FileSystem.Now();
        var inode = new Inode(_state.Settings.TakeIno(), request.Mode)
        {
            Uid = request.Uid,
            Gid = request.Gid,
            Rdev = request.Rdev,
            WindowsAttributes = request.WindowsAttributes & ~WindowsAttributes.Directory,
            AccessTime = now,
            ModifyTime = now,
            ChangeTime = now,
            BirthTime = now,
            Generation = _state.Settings.TakeGeneration(),
            Parent = dir.Ino,
        };
        // A set-group-ID directory hands its group to new entries, and its set-group-ID bit to new subdirectories.
        if ((dir.Mode & PosixMode.SetGid) != 0)
        {
            inode.Gid = dir.Gid;
            if (inode.IsDirectory)
            {
                inode.Mode |= PosixMode.SetGid;
            }
        }
        inode.Nlink = inode.IsDirectory ? 2u : 1u;
        if (request.SecurityDescriptor is { Length: > 0 } sd)
        {
            inode.SecurityId = _state.Security.Acquire(sd);
        }
        if (_state.Loader != null)
        {
            // Paged from birth: once its entries (its extents) are committed they may leave memory like any stored one's.
            inode.Children?.Page(_state.Loader, inode.Ino, _eviction.Cached);
            inode.Extents?.Attach(_state.Loader, inode.Ino, loaded: true);
        }
        _state.Settings.CountInode(inode.IsDirectory, +1);
        _transaction.SettingsChanged();
        if (!_state.Inodes.TryAdd(inode.Ino, inode))
        {
            throw new CorruptionException($"the next inode number {inode.Ino} is already taken", inode.Ino, -1);
        }
        _transaction.Changed(inode);
        _eviction.Added(inode);
        return inode;
    }

    /// <summary>
    /// A regular file with no name (O_TMPFILE), born in <paramref name="dir"/> with one open handle and
    /// recorded as an orphan, so the table's invariant holds from birth; a link may give it a name.
    /// </summary>
    public Inode CreateUnnamed(Inode dir, CreateRequest request)
    {
        var inode = Create(dir, request with { Mode = (request.Mode & ~PosixMode.TypeMask) | PosixMode.Regular });
        lock (inode)
        {
            inode.Nlink = 0;
            inode.Linkable = true;
            inode.OpenCount = 1;
            Orphan(inode);
        }
        return inode;
    }

    /// <summary>
    /// One name of the inode is gone: count it, and reclaim or orphan the inode when none is left. The
    /// caller holds the locks of the inode and of <paramref name="dir"/> exclusively (or the volume's).
    /// </summary>
    public void DropLink(Inode dir, Inode inode)
    {
        inode.ChangeTime = FileSystem.Now();
        if (inode.IsDirectory)
        {
            dir.Nlink--;
        }
        bool destroy;
        lock (inode)
        {
            inode.Nlink = inode.IsDirectory ? 0 : inode.Nlink - 1;
            destroy = ClaimIfUnheld(inode, readOnly: false);
            if (!destroy && inode.Nlink == 0)
            {
                Orphan(inode);
            }
        }
        _transaction.Changed(inode);
        if (destroy)
        {
            Destroy(inode);
        }
    }

    /// <summary>
    /// Gives the inode one more name in <paramref name="dir"/>, taking an unnamed one (O_TMPFILE) off
    /// the orphan list. The caller holds the locks of both exclusively and checked the name. NotFound
    /// when the inode's destruction was decided meanwhile or it has no name and was never linkable.
    /// </summary>
    public FsError AddLink(Inode inode, Inode dir)
    {
        lock (inode)
        {
            if (inode.Destroyed || (inode.Nlink == 0 && !inode.Linkable))
            {
                return FsError.NotFound;
            }
            if (inode.Nlink == 0)
            {
                inode.Linkable = false;
                inode.Parent = dir.Ino;
                RemoveOrphan(inode.Ino);
            }
            inode.Nlink++;
        }
        return FsError.Ok;
    }

    /// <summary>An inode with no name that something still holds: recorded, so a crash reclaims it at the next open.</summary>
    private void Orphan(Inode inode)
    {
        lock (_orphansGate)
        {
            _state.Orphans.Add(inode.Ino);
        }
        _transaction.OrphansChanged();
    }

    private void RemoveOrphan(long ino)
    {
        bool removed;
        lock (_orphansGate)
        {
            removed = _state.Orphans.Remove(ino);
        }
        if (removed)
        {
            _transaction.OrphansChanged();
        }
    }

    /// <summary>
    /// Under the inode's monitor: whether nothing names or holds it any more, and if so marks it
    /// <see cref="Inode.Destroyed"/>, so that the caller, and no one else, destroys it
    /// (<see cref="Destroy"/>). A read-only volume keeps such an inode for the next open to reclaim.
    /// </summary>
    public static bool ClaimIfUnheld(Inode inode, bool readOnly)
    {
        if (inode.Nlink != 0 || inode.IsHeld || inode.Destroyed || inode.Ino == FileSystem.RootIno || readOnly)
        {
            return false;
        }
        inode.Destroyed = true;
        return true;
    }

    /// <summary>Destroys every orphan nothing holds any more (after a host let go of all its references). The caller holds the volume lock exclusively.</summary>
    public void ReclaimUnheldOrphans(bool readOnly)
    {
        foreach (long ino in OrphanList())
        {
            if (TryGet(ino, out var inode) == FsError.Ok)
            {
                bool destroy;
                lock (inode)
                {
                    destroy = ClaimIfUnheld(inode, readOnly);
                }
                if (destroy)
                {
                    Destroy(inode);
                }
            }
        }
    }

    /// <summary>At open, before any host holds anything: destroys the orphans the last session left, and forgets records of inodes that have a name or are gone.</summary>
    public void ReclaimOrphans()
    {
        foreach (long ino in OrphanList())
        {
            if (TryGet(ino, out var inode) != FsError.Ok)
            {
                // A damaged row stopped the volume (records of nothing were refused before this): the
                // record stays for `check` to report with the row.
                return;
            }
            if (inode.Nlink == 0)
            {
                inode.Destroyed = true;
                Destroy(inode);
            }
            else
            {
                RemoveOrphan(ino);
            }
        }
    }

    /// <summary>Orphan records naming an inode that does not exist (damage: a destruction removes its record in the same commit).</summary>
    public List<long> OrphansOfNothing() => OrphanList().Where(ino => TryGet(ino, out _) == FsError.NotFound).ToList();

    private List<long> OrphanList()
    {
        lock (_orphansGate)
        {
            return _state.Orphans.ToList();
        }
    }

    public bool HasOrphans
    {
        get
        {
            lock (_orphansGate)
            {
                return _state.Orphans.Count > 0;
            }
        }
    }

    /// <summary>
    /// Destroys an inode its caller claimed (<see cref="ClaimIfUnheld"/>): its blocks, its descriptor,
    /// its rows. No host call can reach it any more (each needs a name, a handle or a reference), and
    /// the commit's capture waits for the volume lock, so nothing else touches it meanwhile.
    /// </summary>
    public void Destroy(Inode inode)
    {
        if (!inode.Destroyed)
        {
            throw new InvalidOperationException($"inode {inode.Ino} was destroyed without being claimed");
        }
        if (inode.Extents != null)
        {
            _data.Unmap(inode, 0, long.MaxValue / 2);
        }
        _state.Security.Release(inode.SecurityId);
        _state.Settings.CountInode(inode.IsDirectory, -1);
        _state.Settings.CountExtents(-(inode.Extents?.StoredCount ?? 0));
        _transaction.SettingsChanged();
        // Recorded before it leaves the resident set: a load that misses it must find the record (Load).
        _state.DestroyedSinceCommit[inode.Ino] = 0;
        // Only inodes loaded on demand count against the budget (a full load counts none).
        if (_state.Inodes.TryRemove(inode.Ino, out _) && _state.Loader != null)
        {
            _eviction.Destroyed();
        }
        _transaction.Deleted(inode);
        RemoveOrphan(inode.Ino);
    }
}
