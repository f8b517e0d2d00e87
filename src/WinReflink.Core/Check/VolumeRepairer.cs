using System.Globalization;
using WinReflink.Core.Extents;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Check;

/// <summary>One repair `check --repair` made (or, with --dry-run, would make).</summary>
public sealed record Repair(string What, long? Ino, long? Block)
{
    public override string ToString() => (Ino, Block) switch
    {
        (long i, long b) => $"{What} (inode {i}, block {b})",
        (long i, null) => $"{What} (inode {i})",
        (null, long b) => $"{What} (block {b})",
        _ => What,
    };
}

/// <summary>
/// Repairs what can be repaired without guessing, in memory, on a loaded volume state: the data that is
/// derived from the rest (the shared table and free space, rebuilt from the extent maps; link counts,
/// from the directory entries; next_ino), entries naming nothing, orphan records of nothing, unnamed
/// inodes (reclaimed when their link count is 0, moved to /lost+found otherwise), directories named
/// more than once or detached in a cycle, duplicate readdir cookies, entry types that are not their
/// inodes' (format version 6), lookup keys that do not match
/// their names (a collision renames the later entry), written extents past the end of file, non-zero
/// bytes past the end of file in an unshared last block (written through <see cref="WriteBlock"/>),
/// extended attribute and flag rows of inodes that do not exist, and security descriptors no inode
/// uses. Everything else (an extent map that is itself impossible, an unknown file type, a size out of
/// range, an invalid name) is left for the caller's second check to report as what cannot be
/// repaired. Rows whose checksum failed are trusted only in the tables rebuilt here; elsewhere they
/// make the repair refuse, since the damaged row and the rest cannot be told apart.
/// </summary>
internal sealed class VolumeRepairer
{
    public const string LostAndFound = "lost+found";
    private static readonly string[] DerivedTables = ["shared row", "free row", "orphans row"];

    /// <summary>Writes a whole physical block (held by the caller until the repair commits).</summary>
    public delegate void WriteBlock(long physicalBlock, ReadOnlySpan<byte> block);

    private readonly VolumeState _state;
    private readonly ChangeSet _changes;
    private readonly int _blockSize;
    private readonly long _now;
    private readonly VolumeChecker.ReadBlock _read;
    private readonly WriteBlock _write;
    private readonly List<Repair> _done = new();

    public VolumeRepairer(VolumeState state, ChangeSet changes, int blockSize, long now, VolumeChecker.ReadBlock read, WriteBlock write)
    {
        _state = state;
        _changes = changes;
        _blockSize = blockSize;
        _now = now;
        _read = read;
        _write = write;
    }

    /// <summary>
    /// Whether the repair may go ahead: rows that failed their checksum outside the rebuilt tables, on a
    /// volume with other problems, cannot be trusted to repair from. Returns the reason to refuse, or null.
    /// </summary>
    public static string? Refusal(VolumeState state, IReadOnlyList<Violation> found)
    {
        var untrusted = state.ChecksumFailures.Where(r => !DerivedTables.Any(t => r.StartsWith(t, StringComparison.Ordinal))).ToList();
        bool otherProblems = found.Any(v => !v.What.StartsWith("row does not match its checksum", StringComparison.Ordinal));
        return untrusted.Count > 0 && otherProblems
            ? $"the {untrusted[0]} failed its checksum and the volume has other problems: its values cannot be trusted to repair from"
            : null;
    }

    public IReadOnlyList<Repair> Run()
    {
        if (!ExtentMapsAreSound())
        {
            return _done;
        }
        DropDanglingRows();
        DropUnusedSecurityDescriptors();
        RemoveEntriesToNothing();
        FixEntryTypes();
        FixLookupKeys();
        RenumberDuplicateCookies();
        GiveEachDirectoryOneName();
        ReclaimOrMoveUnnamed();
        AttachDetachedDirectories();
        FixLinkCounts();
        FixNextIno();
        TrimWrittenExtentsPastEof();
        RecountMappedBlocks();
        RebuildSharedTable();
        RebuildFreeSpace();
        ZeroTailsPastEof();
        RecountSettings();
        return _done;
    }

    private void Done(string what, long? ino = null, long? block = null) => _done.Add(new Repair(what, ino, block));

    /// <summary>The shared table and free space are rebuilt from the extent maps, so those must be possible maps.</summary>
    private bool ExtentMapsAreSound()
    {
        long capacity = _state.Settings.CapacityBlocks;
        long maxBlocks = FileSystem.MaxFileSize / _blockSize;
        foreach (var inode in _state.Inodes.Values.Where(i => i.Extents != null))
        {
            long prevEnd = long.MinValue;
            foreach (var e in inode.Extents!.All())
            {
                if (e.Length <= 0 || e.Logical < 0 || e.Length > maxBlocks - e.Logical || e.Logical < prevEnd
                    || e.Physical < 0 || e.Physical >= capacity || e.Length > capacity - e.Physical)
                {
                    return false;
                }
                prevEnd = e.LogicalEnd;
            }
        }
        return true;
    }

    /// <summary>Rows the load skipped because their inode does not exist: nothing refers to them, so they go.</summary>
    private void DropDanglingRows()
    {
        foreach (var row in _state.DanglingRows.Where(r => MetadataStore.DanglingRowTables.ContainsKey(r.Table)).ToList())
        {
            _state.DanglingRows.Remove(row);
            _state.DropDanglingRows.Add(row.Table);
            Done($"deleted the {row.What}");
        }
    }

    private void DropUnusedSecurityDescriptors()
    {
        foreach (var (id, _) in _state.Security.Uses().Where(u => u.Users == 0).ToList())
        {
            _state.Security.DropUnused(id);
            Done($"deleted security descriptor {id}, which no inode uses");
        }
    }

    /// <summary>
    /// An entry whose lookup key is not its name's gets the right key. When another entry already has
    /// that key, the later of the two (by cookie, the order they were made in) is renamed to "name~INO",
    /// so both stay reachable and neither name is guessed at.
    /// </summary>
    private void FixLookupKeys()
    {
        var folding = _state.Settings.Folding;
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory))
        {
            var wrong = dir.Children!.Records
                .Where(r => Errors.FsError.Ok == NameRules.Validate(r.Name) && r.Key != folding.Key(r.Name))
                .OrderBy(r => r.Cookie)
                .ToList();
            foreach (var r in wrong)
            {
                string key = folding.Key(r.Name);
                dir.Children.Remove(r.Key);
                _changes.ChangedInodes.Add(dir);
                if (!dir.Children.TryGet(key, out var holder))
                {
                    dir.Children.Add(r.Name, key, r.Ino, r.Type);
                    Done($"set the lookup key of entry '{r.Name}' to match its name (was '{r.Key}')", dir.Ino);
                    continue;
                }
                // The later of the two entries gives up the name.
                var (keeps, moves) = holder.Cookie < r.Cookie ? (holder, r) : (r, holder);
                if (moves == holder)
                {
                    dir.Children.Remove(holder.Key);
                    dir.Children.Add(keeps.Name, key, keeps.Ino, keeps.Type);
                }
                string name = UniqueName(dir, $"{moves.Name}~{moves.Ino.ToString(CultureInfo.InvariantCulture)}");
                dir.Children.Add(name, folding.Key(name), moves.Ino, moves.Type);
                Done($"renamed entry '{moves.Name}' (inode {moves.Ino}) to '{name}': its name collided with '{keeps.Name}' (inode {keeps.Ino})", dir.Ino);
            }
        }
    }

    /// <summary>An entry whose type is not its inode's takes the inode's: the mode is the truth, the entry's type a copy kept for listings.</summary>
    private void FixEntryTypes()
    {
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory))
        {
            var wrong = dir.Children!.Records
                .Select(r => (Entry: r, Type: _state.Inodes.TryGetValue(r.Ino, out var child) ? EntryType.Of(child.Mode) : r.Type))
                .Where(e => e.Entry.Type != e.Type)
                .ToList();
            foreach (var (r, type) in wrong)
            {
                dir.Children.Replace(r.Key, r.Name, r.Ino, type);
                _changes.ChangedInodes.Add(dir);
                Done($"set the file type of entry '{r.Name}' to its inode's, {type} (was {r.Type})", dir.Ino);
            }
        }
    }

    /// <summary><paramref name="name"/>, or it with ".2", ".3"... when that is taken too.</summary>
    private string UniqueName(Inode dir, string name)
    {
        string candidate = name;
        for (int n = 2; dir.Children!.TryGet(_state.Settings.Folding.Key(candidate), out _); n++)
        {
            candidate = name + "." + n.ToString(CultureInfo.InvariantCulture);
        }
        return candidate;
    }

    private void RemoveEntriesToNothing()
    {
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory).ToList())
        {
            foreach (var r in dir.Children!.Records.Where(r => !_state.Inodes.ContainsKey(r.Ino) || r.Ino == FileSystem.RootIno).ToList())
            {
                dir.Children.Remove(r.Key);
                _changes.ChangedInodes.Add(dir);
                Done($"removed entry '{r.Name}', which named {(r.Ino == FileSystem.RootIno ? "the root" : $"inode {r.Ino}, which does not exist")}", dir.Ino);
            }
        }
        foreach (long ino in _state.Orphans.Where(o => !_state.Inodes.ContainsKey(o)).ToList())
        {
            _state.Orphans.Remove(ino);
            _changes.OrphansChanged = true;
            Done("removed the orphan record of an inode that does not exist", ino);
        }
    }

    private void RenumberDuplicateCookies()
    {
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory))
        {
            var records = dir.Children!.Records.ToList();
            if (records.Select(r => r.Cookie).Distinct().Count() == records.Count && records.All(r => r.Cookie >= 1))
            {
                continue;
            }
            // Every entry again, with fresh cookies: the order of a listing changes, no name does.
            foreach (var r in records)
            {
                dir.Children.Remove(r.Key);
            }
            foreach (var r in records.OrderBy(r => r.Cookie).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                dir.Children.Add(r.Name, r.Key, r.Ino, r.Type);
            }
            _changes.ChangedInodes.Add(dir);
            Done($"gave the {records.Count} entries of the directory unique readdir cookies", dir.Ino);
        }
    }

    private Dictionary<long, List<(Inode Dir, DirectoryRecord Entry)>> EntriesByInode()
    {
        var names = new Dictionary<long, List<(Inode, DirectoryRecord)>>();
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory))
        {
            foreach (var r in dir.Children!.Records)
            {
                if (!names.TryGetValue(r.Ino, out var list))
                {
                    names[r.Ino] = list = new();
                }
                list.Add((dir, r));
            }
        }
        return names;
    }

    /// <summary>A directory keeps the entry in the directory its parent field names; with no such entry, its only entry, and the parent follows it.</summary>
    private void GiveEachDirectoryOneName()
    {
        foreach (var (ino, entries) in EntriesByInode())
        {
            var child = _state.Inodes[ino];
            if (!child.IsDirectory)
            {
                continue;
            }
            var keep = entries.FirstOrDefault(e => e.Dir.Ino == child.Parent);
            if (keep.Dir == null && entries.Count == 1)
            {
                keep = entries[0];
                Done($"set the parent of directory '{keep.Entry.Name}' to the directory naming it, {keep.Dir.Ino} (was {child.Parent})", ino);
                child.Parent = keep.Dir.Ino;
                _changes.ChangedInodes.Add(child);
            }
            foreach (var (dir, entry) in entries.Where(e => e.Dir != keep.Dir))
            {
                dir.Children!.Remove(entry.Key);
                _changes.ChangedInodes.Add(dir);
                Done($"removed entry '{entry.Name}', a second name of directory {ino}", dir.Ino);
            }
        }
    }

    private void ReclaimOrMoveUnnamed()
    {
        var named = EntriesByInode();
        // An unnamed directory with entries is attached to /lost+found later, with its subtree.
        foreach (var inode in _state.Inodes.Values.Where(i => i.Ino != FileSystem.RootIno && !named.ContainsKey(i.Ino) && (!i.IsDirectory || i.Children!.Count == 0)).ToList())
        {
            if (inode.Nlink == 0 || _state.Orphans.Contains(inode.Ino))
            {
                // Unlinked (its orphan record lost, or kept): reclaimed as the next open would.
                _state.Security.Release(inode.SecurityId);
                _state.Inodes.TryRemove(inode.Ino, out _);
                _changes.Deleted(inode);
                if (_state.Orphans.Remove(inode.Ino))
                {
                    _changes.OrphansChanged = true;
                }
                Done("reclaimed an unlinked inode with no name", inode.Ino);
            }
            else
            {
                Link(inode);
            }
        }
        foreach (var inode in _state.Inodes.Values.Where(i => named.ContainsKey(i.Ino) && _state.Orphans.Contains(i.Ino)).ToList())
        {
            _state.Orphans.Remove(inode.Ino);
            _changes.OrphansChanged = true;
            Done("removed the orphan record of an inode that has a name", inode.Ino);
        }
    }

    /// <summary>Directories the root does not reach (detached, or in a cycle) go to /lost+found, which breaks the cycle.</summary>
    private void AttachDetachedDirectories()
    {
        while (true)
        {
            var reached = Reachable();
            var detached = _state.Inodes.Values.Where(i => i.IsDirectory && !reached.Contains(i.Ino)).OrderBy(i => i.Ino).FirstOrDefault();
            if (detached == null)
            {
                return;
            }
            foreach (var (dir, entry) in EntriesByInode().GetValueOrDefault(detached.Ino) ?? [])
            {
                dir.Children!.Remove(entry.Key);
                _changes.ChangedInodes.Add(dir);
            }
            Link(detached);
        }
    }

    private HashSet<long> Reachable()
    {
        var seen = new HashSet<long> { FileSystem.RootIno };
        var queue = new Queue<long>([FileSystem.RootIno]);
        while (queue.Count > 0)
        {
            if (_state.Inodes.TryGetValue(queue.Dequeue(), out var dir) && dir.IsDirectory)
            {
                foreach (var r in dir.Children!.Records)
                {
                    if (seen.Add(r.Ino))
                    {
                        queue.Enqueue(r.Ino);
                    }
                }
            }
        }
        return seen;
    }

    /// <summary>Names an inode "#ino" in /lost+found (created when missing), as fsck does.</summary>
    private void Link(Inode inode)
    {
        var lostAndFound = LostAndFoundDirectory();
        string name = "#" + inode.Ino.ToString(CultureInfo.InvariantCulture);
        for (int n = 2; lostAndFound.Children!.TryGet(_state.Settings.Folding.Key(name), out _); n++)
        {
            name = "#" + inode.Ino.ToString(CultureInfo.InvariantCulture) + "." + n.ToString(CultureInfo.InvariantCulture);
        }
        lostAndFound.Children.Add(name, _state.Settings.Folding.Key(name), inode.Ino, EntryType.Of(inode.Mode));
        _changes.ChangedInodes.Add(lostAndFound);
        if (inode.IsDirectory)
        {
            inode.Parent = lostAndFound.Ino;
            _changes.ChangedInodes.Add(inode);
        }
        Done($"moved an inode with no name to /lost+found as '{name}'", inode.Ino);
    }

    /// <summary>/lost+found, or the first of lost+found.2, .3... when that name belongs to something else; created when missing.</summary>
    private Inode LostAndFoundDirectory()
    {
        var root = _state.Inodes[FileSystem.RootIno];
        string name = LostAndFound;
        for (int n = 2; ; n++)
        {
            string candidate = _state.Settings.Folding.Key(name);
            if (!root.Children!.TryGet(candidate, out var existing))
            {
                break;
            }
            if (_state.Inodes.TryGetValue(existing.Ino, out var found) && found.IsDirectory && found.Parent == FileSystem.RootIno)
            {
                return found;
            }
            name = LostAndFound + "." + n.ToString(CultureInfo.InvariantCulture);
        }
        string key = _state.Settings.Folding.Key(name);
        var settings = _state.Settings;
        var dir = new Inode(settings.NextIno++, PosixMode.Directory | 0x1C0)
        {
            Nlink = 2,
            AccessTime = _now,
            ModifyTime = _now,
            ChangeTime = _now,
            BirthTime = _now,
            Generation = settings.NextGeneration++,
            Parent = FileSystem.RootIno,
        };
        _changes.SettingsChanged = true;
        _state.Inodes[dir.Ino] = dir;
        _changes.ChangedInodes.Add(dir);
        root.Children!.Add(name, key, dir.Ino, EntryType.Of(dir.Mode));
        _changes.ChangedInodes.Add(root);
        Done($"created /{name}", dir.Ino);
        return dir;
    }

    private void FixLinkCounts()
    {
        var names = new Dictionary<long, uint>();
        var subdirs = new Dictionary<long, uint>();
        foreach (var dir in _state.Inodes.Values.Where(i => i.IsDirectory))
        {
            foreach (var r in dir.Children!.Records)
            {
                names[r.Ino] = names.GetValueOrDefault(r.Ino) + 1;
                if (_state.Inodes.TryGetValue(r.Ino, out var child) && child.IsDirectory)
                {
                    subdirs[dir.Ino] = subdirs.GetValueOrDefault(dir.Ino) + 1;
                }
            }
        }
        foreach (var inode in _state.Inodes.Values)
        {
            uint expected = inode.IsDirectory ? 2 + subdirs.GetValueOrDefault(inode.Ino) : names.GetValueOrDefault(inode.Ino);
            if (inode.Nlink != expected && !(expected == 0 && _state.Orphans.Contains(inode.Ino)))
            {
                Done($"set the link count to {expected} (was {inode.Nlink})", inode.Ino);
                inode.Nlink = expected;
                _changes.ChangedInodes.Add(inode);
            }
        }
    }

    private void FixNextIno()
    {
        long highest = _state.Inodes.Keys.DefaultIfEmpty(FileSystem.RootIno).Max();
        if (_state.Settings.NextIno <= highest)
        {
            Done($"set next_ino to {highest + 1} (was {_state.Settings.NextIno})");
            _state.Settings.NextIno = highest + 1;
            _changes.SettingsChanged = true;
        }
    }

    /// <summary>
    /// The settings' counts from the repaired inodes. Extents count as stored rows: the commit adds
    /// what each changed map gained or lost since (<see cref="Metadata.MetadataStore.Capture"/>).
    /// </summary>
    private void RecountSettings()
    {
        long directories = _state.Inodes.Values.Count(i => i.IsDirectory);
        long files = _state.Inodes.Count - directories;
        long extents = _state.Inodes.Values.Sum(i => (long)(i.Extents?.StoredCount ?? 0));
        var s = _state.Settings;
        if (s.FileCount != files || s.DirectoryCount != directories || s.ExtentCount != extents)
        {
            Done($"recounted the files ({files}), directories ({directories}) and extents the settings keep");
            s.Recount(files, directories, extents);
            _changes.SettingsChanged = true;
        }
        // The totals follow each row changed, from the stored ones: stored wrong, they stay wrong until
        // counted. The commit stores them when they moved; only stored figures that were wrong are a repair.
        _state.Refcounts.Recount();
        var (shared, saved) = _state.Refcounts.Totals();
        if (s.SharedBlocks != shared || s.SavedBlocks != saved)
        {
            Done($"recounted the shared ({shared}) and saved ({saved}) blocks the settings keep");
            _changes.SettingsChanged = true;
        }
    }

    /// <summary>
    /// Written blocks past the end of file are unmapped, as a truncate to the same size would: no read
    /// can see them, and an extension must read zeros there. Unwritten ones (fallocate with
    /// KEEP_SIZE) are allowed past the end. The free space rebuilt afterwards takes the blocks back.
    /// </summary>
    private void TrimWrittenExtentsPastEof()
    {
        foreach (var inode in _state.Inodes.Values.Where(i => i.Extents != null && i.Size >= 0 && i.Size <= FileSystem.MaxFileSize))
        {
            long eofBlocks = inode.Size / _blockSize + (inode.Size % _blockSize != 0 ? 1 : 0);
            foreach (var e in inode.Extents!.All().Where(e => !e.Unwritten && e.LogicalEnd > eofBlocks).ToList())
            {
                long from = Math.Max(e.Logical, eofBlocks);
                inode.Extents.Remove(from, e.LogicalEnd - from);
                _changes.ChangedInodes.Add(inode);
                Done($"unmapped written blocks {from}..{e.LogicalEnd - 1} past the end of file (size {inode.Size})", inode.Ino, from);
            }
        }
    }

    /// <summary>Each file's mapped block count (its row's, format version 6: st_blocks) from its extents, which are the truth.</summary>
    private void RecountMappedBlocks()
    {
        foreach (var inode in _state.Inodes.Values.Where(i => i.Extents != null))
        {
            long stored = inode.Extents!.MappedBlocks;
            if (inode.Extents.Recount())
            {
                _changes.ChangedInodes.Add(inode);
                Done($"recounted the mapped blocks ({inode.Extents.MappedBlocks}, stored {stored})", inode.Ino);
            }
        }
    }

    /// <summary>
    /// Bytes past the end of file in its last block must be zero (an extension shows them). They are
    /// zeroed in place when the block is the file's alone; a shared block is left for `check` to
    /// report, since zeroing it would change the other files.
    /// </summary>
    private void ZeroTailsPastEof()
    {
        var block = new byte[_blockSize];
        foreach (var inode in _state.Inodes.Values.Where(i => i.Extents != null && i.Size > 0 && i.Size <= FileSystem.MaxFileSize && i.Size % _blockSize != 0))
        {
            long last = inode.Size / _blockSize;
            if (!inode.Extents!.TryFind(last, 1, out var e, out _) || e.Unwritten)
            {
                continue;
            }
            long physical = e.Physical + (last - e.Logical);
            if (_state.Refcounts.RunAt(physical, 1).Refs >= 2)
            {
                continue;
            }
            _read(physical, block);
            int tail = (int)(inode.Size % _blockSize);
            if (block.AsSpan(tail).IndexOfAnyExcept((byte)0) < 0)
            {
                continue;
            }
            block.AsSpan(tail).Clear();
            _write(physical, block);
            Done($"zeroed the {_blockSize - tail} bytes past the end of file in its last block", inode.Ino, physical);
        }
    }

    /// <summary>Each physical block with the number of mappings to it, as sorted, merged (start, end, count) runs.</summary>
    private List<(long Start, long End, int Count)> Coverage()
    {
        var events = new List<(long Pos, int Delta)>();
        foreach (var inode in _state.Inodes.Values.Where(i => i.Extents != null))
        {
            foreach (var e in inode.Extents!.All())
            {
                events.Add((e.Physical, 1));
                events.Add((e.Physical + e.Length, -1));
            }
        }
        events.Sort((a, b) => a.Pos.CompareTo(b.Pos));
        var runs = new List<(long Start, long End, int Count)>();
        int count = 0;
        for (int i = 0; i < events.Count;)
        {
            long pos = events[i].Pos;
            while (i < events.Count && events[i].Pos == pos)
            {
                count += events[i++].Delta;
            }
            if (count > 0 && i < events.Count)
            {
                if (runs.Count > 0 && runs[^1].End == pos && runs[^1].Count == count)
                {
                    runs[^1] = (runs[^1].Start, events[i].Pos, count);
                }
                else
                {
                    runs.Add((pos, events[i].Pos, count));
                }
            }
        }
        return runs;
    }

    private void RebuildSharedTable()
    {
        var want = Coverage().Where(r => r.Count >= 2).ToDictionary(r => r.Start, r => new SharedRange(r.End - r.Start, r.Count));
        var have = _state.Refcounts.All().ToDictionary(r => r.Start, r => r.Range);
        if (want.Count == have.Count && want.All(kv => have.TryGetValue(kv.Key, out var v) && v == kv.Value))
        {
            return;
        }
        foreach (long start in have.Keys)
        {
            _state.Refcounts.Delete(start);
        }
        foreach (var (start, range) in want)
        {
            _state.Refcounts.Put(start, range);
        }
        Done($"rebuilt the shared table from the extent maps ({have.Count} rows, now {want.Count})");
    }

    private void RebuildFreeSpace()
    {
        long capacity = _state.Settings.CapacityBlocks;
        var want = new List<BlockRange>();
        long at = 0;
        foreach (var (start, end, _) in Coverage())
        {
            if (start > at)
            {
                want.Add(new BlockRange(at, start - at));
            }
            at = Math.Max(at, end);
        }
        if (at < capacity)
        {
            want.Add(new BlockRange(at, capacity - at));
        }
        var free = _state.Allocator.Free;
        var have = free.All().ToList();
        if (have.SequenceEqual(want))
        {
            return;
        }
        long before = free.TotalBlocks;
        free.Clear();
        foreach (var r in want)
        {
            free.Add(r.Start, r.Length);
        }
        Done($"rebuilt free space from the extent maps ({before} free blocks recorded, {free.TotalBlocks} actually free)");
    }
}
