using WinReflink.Core.Extents;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Check;

/// <summary>
/// Verifies the invariants of the design notes over a volume's state: refcounts against the extent
/// maps (1), free/mapped/reserved partition (2), the namespace tree and link counts (3), extent map
/// shape, security descriptors, settings, and zeros past EOF in every last block (8). Invariants 4, 5
/// and 6 are about ordering in time; the crash tests verify them.
/// </summary>
internal sealed class VolumeChecker
{
    private readonly VolumeState _state;
    private readonly int _blockSize;
    private readonly ReadBlock? _read;
    private readonly List<Violation> _found = new();

    public delegate void ReadBlock(long physicalBlock, Span<byte> block);

    /// <param name="read">Reads a physical block for the zero-tail check; null checks the metadata alone (as open does).</param>
    public VolumeChecker(VolumeState state, int blockSize, ReadBlock? read)
    {
        _state = state;
        _blockSize = blockSize;
        _read = read;
    }

    public IReadOnlyList<Violation> Run()
    {
        CheckLoadedRows();
        CheckInodes();
        var mapped = CheckExtentMaps();
        CheckRefcounts(mapped);
        CheckSpace(mapped);
        CheckNamespace();
        CheckSecurity();
        if (_read != null)
        {
            CheckZeroTails(_read);
        }
        return _found;
    }

    /// <summary>What the load itself found in the rows it read (open runs this alone on the volume-wide rows it reads).</summary>
    public IReadOnlyList<Violation> RunOnLoadedRows()
    {
        CheckLoadedRows();
        return _found;
    }

    private void CheckLoadedRows()
    {
        foreach (string row in _state.ChecksumFailures)
        {
            Add(9, $"row does not match its checksum: {row}", null, null, "the checksum of the row's values", "another");
        }
        foreach (string row in _state.BadRows)
        {
            Add(9, $"row with a value out of range: {row}", null, null, "a value the column can hold", "out of range");
        }
        foreach (var row in _state.DanglingRows)
        {
            Add(3, $"row of an object that does not exist: {row}", null, null, "no such row", "row present");
        }
    }

    /// <summary>An orphan record naming an inode that does not exist (found by the check and by open's reclaim).</summary>
    public static Violation OrphanOfNothing(long orphan) =>
        new(3, "orphan record of an inode that does not exist", orphan, null, "a live inode", "missing");

    private void Add(int invariant, string what, long? ino, long? block, string expected, string found) =>
        _found.Add(new Violation(invariant, what, ino, block, expected, found));

    /// <summary>Each inode's own fields: a known file type, a size a file of that type can have; and the counts the settings keep.</summary>
    private void CheckInodes()
    {
        long files = 0, directories = 0, extents = 0;
        foreach (var inode in _state.Inodes.Values)
        {
            if (inode.IsDirectory)
            {
                directories++;
            }
            else
            {
                files++;
            }
            // As stored: the running transaction's maps change the count at its capture.
            extents += inode.Extents?.StoredCount ?? 0;
            InodeRules.CheckFields(inode.Ino, inode.Mode, inode.Size, Add);
        }
        var settings = _state.Settings;
        InodeRules.CheckCounts((settings.FileCount, settings.DirectoryCount, settings.ExtentCount), (files, directories, extents), Add);
    }

    /// <summary>Coverage of physical blocks by file mappings, as sorted (start, end, count) segments.</summary>
    private List<(long Start, long End, int Count)> CheckExtentMaps()
    {
        var events = new List<(long Pos, int Delta)>();
        foreach (var inode in _state.Inodes.Values)
        {
            if (inode.Extents == null)
            {
                continue;
            }
            var rules = new InodeRules.ExtentMapCheck(inode.Ino, inode.Size, _blockSize, _state.Settings.CapacityBlocks);
            foreach (var e in inode.Extents.All())
            {
                if (rules.Next(e.Logical, e.Physical, e.Length, e.Unwritten, Add))
                {
                    events.Add((e.Physical, 1));
                    events.Add((e.Physical + e.Length, -1));
                }
            }
            rules.Finish(inode.Extents.MappedBlocks, Add);
        }
        events.Sort((a, b) => a.Pos.CompareTo(b.Pos));
        var segments = new List<(long, long, int)>();
        int count = 0;
        for (int i = 0; i < events.Count;)
        {
            long pos = events[i].Pos;
            while (i < events.Count && events[i].Pos == pos)
            {
                count += events[i].Delta;
                i++;
            }
            if (count > 0 && i < events.Count)
            {
                segments.Add((pos, events[i].Pos, count));
            }
        }
        return segments;
    }

    private void CheckRefcounts(List<(long Start, long End, int Count)> mapped)
    {
        long capacity = _state.Settings.CapacityBlocks;
        var rows = new List<(long Start, SharedRange Range)>();
        foreach (var (start, r) in _state.Refcounts.All())
        {
            if (start < 0 || r.Length <= 0 || r.Length > capacity - start)
            {
                Add(1, "shared-table row outside the volume", null, start, $"blocks within 0..{capacity}", $"{start}+{r.Length}");
                continue;
            }
            rows.Add((start, r));
        }
        // As of now: the stored totals plus what the running transaction changed, against the rows as they stand.
        InodeRules.CheckSharingTotals(_state.Refcounts.Totals(),
            (rows.Sum(r => r.Range.Length), rows.Sum(r => r.Range.Length * (r.Range.Refs - 1))), Add);
        long prevEnd = long.MinValue;
        foreach (var (start, r) in rows)
        {
            if (r.Refs < 2)
            {
                Add(1, "shared-table row with fewer than two references", null, start, "refs >= 2", $"refs {r.Refs}");
            }
            if (start < prevEnd)
            {
                Add(1, "shared-table rows overlap", null, start, $"start >= {prevEnd}", $"{start}");
            }
            prevEnd = start + r.Length;
        }
        // Walk the coverage and the table together over every boundary of either.
        var bounds = new SortedSet<long>();
        foreach (var (s, e, _) in mapped)
        {
            bounds.Add(s);
            bounds.Add(e);
        }
        foreach (var (s, r) in rows)
        {
            bounds.Add(s);
            bounds.Add(s + r.Length);
        }
        var points = bounds.ToList();
        int mi = 0;
        var table = new RefcountTable();
        foreach (var (s, r) in rows)
        {
            table.Load(s, r);
        }
        for (int k = 0; k + 1 < points.Count; k++)
        {
            long a = points[k], b = points[k + 1];
            while (mi < mapped.Count && mapped[mi].End <= a)
            {
                mi++;
            }
            int refs = mi < mapped.Count && mapped[mi].Start <= a ? mapped[mi].Count : 0;
            var (tableRefs, _) = table.RunAt(a, b - a);
            bool hasRow = tableRefs >= 2 || table.HasRowAt(a);
            if (refs >= 2 && tableRefs != refs)
            {
                Add(1, $"reference count of blocks {a}..{b - 1} is wrong", OwnerOf(a), a, $"{refs} references", hasRow ? $"{tableRefs} in the shared table" : "no row in the shared table");
            }
            else if (refs < 2 && hasRow)
            {
                Add(1, $"blocks {a}..{b - 1} are in the shared table but mapped {refs} time(s)", OwnerOf(a), a, $"no row ({refs} mapping)", $"refs {tableRefs}");
            }
        }
    }

    /// <summary>The lowest inode mapping the block: the same whatever order the inodes are held in.</summary>
    private long? OwnerOf(long physical)
    {
        long? owner = null;
        foreach (var inode in _state.Inodes.Values)
        {
            if (inode.Extents == null || inode.Ino >= owner)
            {
                continue;
            }
            foreach (var e in inode.Extents.All())
            {
                if (physical >= e.Physical && physical < e.Physical + e.Length)
                {
                    owner = inode.Ino;
                    break;
                }
            }
        }
        return owner;
    }

    private void CheckSpace(List<(long Start, long End, int Count)> mapped)
    {
        long capacity = _state.Settings.CapacityBlocks;
        var claimed = new List<(long Start, long End, string What)>();
        foreach (var (s, e, _) in mapped)
        {
            claimed.Add((s, e, "mapped"));
        }
        foreach (var r in _state.Allocator.Free.All())
        {
            if (r.Start < 0 || r.Length <= 0 || r.Length > capacity - r.Start)
            {
                Add(2, "free range outside the volume", null, r.Start, $"within 0..{capacity}", $"{r.Start}+{r.Length}");
                continue;
            }
            claimed.Add((r.Start, r.End, "free"));
        }
        foreach (var r in _state.Allocator.Busy.All())
        {
            claimed.Add((r.Start, r.End, "reserved"));
        }
        // Stable, so that at equal starts mapped comes before free before reserved and the message names them in that order.
        claimed = claimed.OrderBy(c => c.Start).ToList();
        long covered = 0;
        (long Start, long End, string What) prev = (0, 0, "start");
        foreach (var c in claimed)
        {
            if (c.Start > covered)
            {
                Add(2, $"blocks {covered}..{c.Start - 1} are lost: neither free, mapped nor reserved", null, covered, "free, mapped or reserved", "none");
            }
            else if (c.Start < covered)
            {
                Add(2, $"blocks {c.Start}..{Math.Min(covered, c.End) - 1} are both {prev.What} and {c.What}", OwnerOf(c.Start), c.Start, "exactly one of free, mapped, reserved", $"{prev.What} and {c.What}");
            }
            if (c.End > covered)
            {
                covered = c.End;
                prev = c;
            }
        }
        if (covered < capacity)
        {
            Add(2, $"blocks {covered}..{capacity - 1} are lost: neither free, mapped nor reserved", null, covered, "free, mapped or reserved", "none");
        }
    }

    private void CheckNamespace()
    {
        var inodes = _state.Inodes;
        if (!inodes.TryGetValue(FileSystem.RootIno, out var root) || !root.IsDirectory)
        {
            Add(3, "the root directory is missing", FileSystem.RootIno, null, "a directory", "nothing");
            return;
        }
        var names = new Dictionary<long, int>();
        var subdirs = new Dictionary<long, int>();
        var folding = _state.Settings.Folding;
        // An older volume opened read-only keeps no types: its entries hold EntryType.Unknown.
        bool typed = _state.Settings.FormatVersion >= Volume.VolumeSettings.DirentTypesFormatVersion;
        foreach (var dir in inodes.Values.Where(i => i.IsDirectory))
        {
            var cookies = new HashSet<long>();
            foreach (var r in dir.Children!.Records)
            {
                if (r.Cookie < 1 || !cookies.Add(r.Cookie))
                {
                    Add(3, $"entry '{r.Name}' has a readdir cookie that is not unique and positive", dir.Ino, null, "a cookie no other entry has", $"cookie {r.Cookie}");
                }
                if (!inodes.TryGetValue(r.Ino, out var child))
                {
                    Add(3, $"entry '{r.Name}' names an inode that does not exist", dir.Ino, null, $"inode {r.Ino} alive", "missing");
                    continue;
                }
                if (NameRules.Validate(r.Name) != Errors.FsError.Ok || r.Key != folding.Key(r.Name))
                {
                    Add(3, $"entry '{r.Name}' has an invalid name or lookup key", dir.Ino, null, folding.Key(r.Name), r.Key);
                }
                if (typed)
                {
                    InodeRules.CheckEntryType(r.Name, dir.Ino, r.Type, child.Mode, Add);
                }
                names[r.Ino] = names.GetValueOrDefault(r.Ino) + 1;
                if (child.IsDirectory)
                {
                    subdirs[dir.Ino] = subdirs.GetValueOrDefault(dir.Ino) + 1;
                    if (child.Parent != dir.Ino)
                    {
                        Add(3, $"directory '{r.Name}' has the wrong parent", child.Ino, null, $"parent {dir.Ino}", $"parent {child.Parent}");
                    }
                }
            }
        }
        foreach (var inode in inodes.Values)
        {
            InodeRules.CheckLinks(inode.Ino, inode.Mode, inode.Nlink, inode.SymlinkTarget, names.GetValueOrDefault(inode.Ino), subdirs.GetValueOrDefault(inode.Ino),
                _state.Orphans.Contains(inode.Ino), () => inode.Children?.Count ?? 0, _state.Settings.NextIno, Add);
        }
        foreach (long orphan in _state.Orphans)
        {
            if (!inodes.ContainsKey(orphan))
            {
                _found.Add(OrphanOfNothing(orphan));
            }
        }
        // Directories form a tree: every directory reachable from the root exactly once.
        var seen = new HashSet<long> { root.Ino };
        var queue = new Queue<Inode>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            var dir = queue.Dequeue();
            foreach (var r in dir.Children!.Records)
            {
                if (inodes.TryGetValue(r.Ino, out var child) && child.IsDirectory)
                {
                    if (!seen.Add(child.Ino))
                    {
                        Add(3, "directory reachable twice (a cycle or a hard link to a directory)", child.Ino, null, "one path from the root", "more than one");
                        continue;
                    }
                    queue.Enqueue(child);
                }
                else if (inodes.ContainsKey(r.Ino))
                {
                    seen.Add(r.Ino);
                }
            }
        }
        foreach (var inode in inodes.Values)
        {
            if (!seen.Contains(inode.Ino) && !_state.Orphans.Contains(inode.Ino))
            {
                Add(3, "inode not reachable from the root", inode.Ino, null, "reachable or an orphan", "detached");
            }
        }
    }

    private void CheckSecurity()
    {
        foreach (var inode in _state.Inodes.Values)
        {
            if (inode.SecurityId != 0 && !_state.Security.Exists(inode.SecurityId))
            {
                Add(3, "security descriptor id that does not exist", inode.Ino, null, $"descriptor {inode.SecurityId}", "missing");
            }
        }
    }

    private void CheckZeroTails(ReadBlock read)
    {
        var block = new byte[_blockSize];
        foreach (var inode in _state.Inodes.Values)
        {
            if (inode.Extents == null || inode.Size <= 0 || inode.Size > FileSystem.MaxFileSize || inode.Size % _blockSize == 0)
            {
                continue;
            }
            long last = inode.Size / _blockSize;
            if (!inode.Extents.TryFind(last, 1, out var e, out _) || e.Unwritten)
            {
                continue;
            }
            long physical = e.Physical + (last - e.Logical);
            if (physical < 0 || physical >= _state.Settings.CapacityBlocks)
            {
                continue;
            }
            read(physical, block);
            int tail = (int)(inode.Size % _blockSize);
            int nonZero = block.AsSpan(tail).IndexOfAnyExcept((byte)0);
            if (nonZero >= 0)
            {
                Add(8, "bytes past end of file are not zero", inode.Ino, physical, "zeros", $"byte {tail + nonZero} of the block is {block[tail + nonZero]}");
            }
        }
    }
}
