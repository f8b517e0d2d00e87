namespace WinReflink.Core.Check;

/// <summary>
/// Invariants 1 and 2 as merges in physical order: the coverage of the blocks by the mappings (the
/// sorted ends of every mapping, summed into segments of equal count) against the shared table, then
/// against the free table. A violation about blocks names the lowest inode mapping them, found for all
/// such violations together in one more pass over the extents per batch of blocks.
/// </summary>
internal sealed partial class StoredVolumeChecker
{
    /// <summary>Blocks whose owner one pass over the extents finds.</summary>
    private const int OwnerBatch = 1 << 16;

    /// <summary>Violations whose inode is the lowest one mapping their block, by index in the found list.</summary>
    private readonly List<(int Index, long Block)> _ownerless = new();
    /// <summary>The most shared rows held at once (the rows overlapping one another at a block: one in a sound table).</summary>
    private long _peakSharedRowsHeld;
    /// <summary>The shared and saved blocks summed over the shared rows inside the volume, as <see cref="NextSharedRow"/> reads them.</summary>
    private (long Shared, long Saved) _sharedRowTotals;

    private readonly record struct Segment(long Start, long End, int Count);

    private readonly record struct SharedRow(long Start, long Length, int Refs);

    /// <summary>Blocks mapped, as ascending segments [Start, End) mapped Count (&gt; 0) times; adjacent segments may have equal counts.</summary>
    private IEnumerable<Segment> Segments()
    {
        int count = 0;
        long pos = 0;
        bool any = false;
        foreach (var (key, delta) in _coverage.Sorted())
        {
            if (!any || key != pos)
            {
                RowRead();
                if (any && count > 0)
                {
                    yield return new Segment(pos, key, count);
                }
                pos = key;
                any = true;
            }
            count += (int)delta;
        }
    }

    /// <summary>
    /// Refcounts against the coverage, over every boundary of either: each piece between two
    /// boundaries mapped twice or more has a row with its count, and no other piece has a row. The
    /// row that answers for a block is the last one starting at or before it, as the table's look-up.
    /// </summary>
    private void CheckSharedTable()
    {
        using var rows = Open(Select("shared", "start, length, refs", tail: " ORDER BY start"));
        long prevEnd = long.MinValue;
        using var segments = Segments().GetEnumerator();
        Segment? nextSegment = segments.MoveNext() ? segments.Current : null;
        SharedRow? nextRow = NextSharedRow(rows, ref prevEnd);
        Segment? current = null;
        SharedRow? floor = null;
        // Ends of the rows started and not yet passed (more than one only where rows overlap).
        var rowEnds = new PriorityQueue<long, long>();
        long? point = Min(nextSegment?.Start, nextRow?.Start);
        while (point is long a)
        {
            if (nextSegment is { } s && s.Start == a)
            {
                current = s;
                nextSegment = segments.MoveNext() ? segments.Current : null;
            }
            if (nextRow is { } row && row.Start == a)
            {
                floor = row;
                rowEnds.Enqueue(row.Start + row.Length, row.Start + row.Length);
                _peakSharedRowsHeld = Math.Max(_peakSharedRowsHeld, rowEnds.Count);
                nextRow = NextSharedRow(rows, ref prevEnd);
            }
            while (rowEnds.TryPeek(out long end, out _) && end <= a)
            {
                rowEnds.Dequeue();
            }
            long? segmentBoundary = current is { } c && c.End > a ? c.End : nextSegment?.Start;
            long? next = Min(Min(segmentBoundary, nextRow?.Start), rowEnds.TryPeek(out long rowEnd, out _) ? rowEnd : null);
            if (next is not long b)
            {
                break;
            }
            int refs = current is { } m && m.Start <= a && a < m.End ? m.Count : 0;
            bool hasRow = floor is { } f && a < f.Start + f.Length;
            int tableRefs = hasRow ? floor!.Value.Refs : 1;
            if (refs >= 2 && tableRefs != refs)
            {
                AddOwned(1, $"reference count of blocks {a}..{b - 1} is wrong", a, $"{refs} references", hasRow ? $"{tableRefs} in the shared table" : "no row in the shared table");
            }
            else if (refs < 2 && hasRow)
            {
                AddOwned(1, $"blocks {a}..{b - 1} are in the shared table but mapped {refs} time(s)", a, $"no row ({refs} mapping)", $"refs {tableRefs}");
            }
            point = b;
        }
        InodeRules.CheckSharingTotals(
            (StoredSetting("shared_blocks") ?? _settings.SharedBlocks, StoredSetting("saved_blocks") ?? _settings.SavedBlocks), _sharedRowTotals, Add);
    }

    /// <summary>The next shared row inside the volume; rows outside it, with fewer than two references or overlapping the one before are reported on the way.</summary>
    private SharedRow? NextSharedRow(RowCursor rows, ref long prevEnd)
    {
        long capacity = _settings.CapacityBlocks;
        for (; rows.HasRow; rows.Next())
        {
            var r = rows.Row;
            Verify(r, "shared", 3);
            long start = r.GetInt64(0), length = r.GetInt64(1), refs = r.GetInt64(2);
            if (refs is < 0 or > int.MaxValue)
            {
                BadRow(Inv($"shared row (start {start}): refs {refs} does not fit 31 bits"));
            }
            if (start < 0 || length <= 0 || length > capacity - start)
            {
                Add(1, "shared-table row outside the volume", null, start, $"blocks within 0..{capacity}", Inv($"{start}+{length}"));
                continue;
            }
            var row = new SharedRow(start, length, (int)Math.Clamp(refs, 0, int.MaxValue));
            if (row.Refs < 2)
            {
                Add(1, "shared-table row with fewer than two references", null, start, "refs >= 2", $"refs {row.Refs}");
            }
            if (start < prevEnd)
            {
                Add(1, "shared-table rows overlap", null, start, Inv($"start >= {prevEnd}"), Inv($"{start}"));
            }
            prevEnd = start + length;
            _sharedRowTotals = (_sharedRowTotals.Shared + row.Length, _sharedRowTotals.Saved + row.Length * (row.Refs - 1));
            rows.Next();
            return row;
        }
        return null;
    }

    /// <summary>
    /// Mapped and free ranges in start order (mapped first at equal starts) cover the volume exactly
    /// once: a gap is lost blocks, an overlap blocks both mapped and free. A stored volume has no
    /// reserved blocks (they exist only in a running engine).
    /// </summary>
    private void CheckSpace()
    {
        long capacity = _settings.CapacityBlocks;
        using var free = Open(Select("free", "start, length", tail: " ORDER BY start"));
        using var segments = Segments().GetEnumerator();
        Segment? segment = segments.MoveNext() ? segments.Current : null;
        (long Start, long End)? freeRange = NextFreeRange(free);
        long covered = 0;
        string prevWhat = "start";
        while (segment != null || freeRange != null)
        {
            (long Start, long End, string What) claim;
            if (segment is { } s && (freeRange is not { } f0 || s.Start <= f0.Start))
            {
                claim = (s.Start, s.End, "mapped");
                segment = segments.MoveNext() ? segments.Current : null;
            }
            else
            {
                var f = freeRange!.Value;
                claim = (f.Start, f.End, "free");
                freeRange = NextFreeRange(free);
            }
            if (claim.Start > covered)
            {
                Add(2, $"blocks {covered}..{claim.Start - 1} are lost: neither free, mapped nor reserved", null, covered, "free, mapped or reserved", "none");
            }
            else if (claim.Start < covered)
            {
                AddOwned(2, $"blocks {claim.Start}..{Math.Min(covered, claim.End) - 1} are both {prevWhat} and {claim.What}", claim.Start,
                    "exactly one of free, mapped, reserved", $"{prevWhat} and {claim.What}");
            }
            if (claim.End > covered)
            {
                covered = claim.End;
                prevWhat = claim.What;
            }
        }
        if (covered < capacity)
        {
            Add(2, $"blocks {covered}..{capacity - 1} are lost: neither free, mapped nor reserved", null, covered, "free, mapped or reserved", "none");
        }
    }

    private (long Start, long End)? NextFreeRange(RowCursor free)
    {
        long capacity = _settings.CapacityBlocks;
        for (; free.HasRow; free.Next())
        {
            var r = free.Row;
            Verify(r, "free", 2);
            long start = r.GetInt64(0), length = r.GetInt64(1);
            if (start < 0 || length <= 0 || length > capacity - start)
            {
                Add(2, "free range outside the volume", null, start, $"within 0..{capacity}", Inv($"{start}+{length}"));
                continue;
            }
            free.Next();
            return (start, start + length);
        }
        return null;
    }

    /// <summary>A violation at a block, naming the lowest inode that maps it (found later, by <see cref="ResolveOwners"/>).</summary>
    private void AddOwned(int invariant, string what, long block, string expected, string found)
    {
        _ownerless.Add((_found.Count, block));
        Add(invariant, what, null, block, expected, found);
    }

    /// <summary>
    /// Names the owner of each violation at a block: per batch of blocks, one pass over the extents of
    /// regular files in inode order, the first extent covering a block giving its owner.
    /// </summary>
    private void ResolveOwners()
    {
        var blocks = OwnerlessBlocks();
        var owners = new Dictionary<long, long>();
        for (int from = 0; from < blocks.Length; from += OwnerBatch)
        {
            var batch = blocks.AsSpan(from, Math.Min(OwnerBatch, blocks.Length - from)).ToArray();
            using var extents = RowCursor.Open(_db, """
                SELECT e.ino, e.physical, e.length FROM extents e JOIN inodes i ON i.ino = e.ino
                WHERE (i.mode & 61440) = 32768 ORDER BY e.ino
                """, RowRead);
            for (; extents.HasRow; extents.Next())
            {
                long ino = extents.Key, physical = extents.Row.GetInt64(1), length = extents.Row.GetInt64(2);
                int i = Array.BinarySearch(batch, physical);
                for (i = i < 0 ? ~i : i; i < batch.Length && batch[i] < unchecked(physical + length); i++)
                {
                    owners.TryAdd(batch[i], ino);
                }
            }
        }
        foreach (var (index, block) in _ownerless)
        {
            if (owners.TryGetValue(block, out long owner))
            {
                _found[index] = _found[index] with { Ino = owner };
            }
        }
    }

    /// <summary>The blocks whose owner <see cref="ResolveOwners"/> finds, ascending and distinct.</summary>
    private long[] OwnerlessBlocks() => _ownerless.Select(o => o.Block).Distinct().Order().ToArray();

    /// <summary>The passes over the extents <see cref="ResolveOwners"/> makes: one per batch of blocks.</summary>
    private long OwnerPasses() => (OwnerlessBlocks().Length + OwnerBatch - 1) / OwnerBatch;

    private static long? Min(long? a, long? b) => a is long x && b is long y ? Math.Min(x, y) : a ?? b;
}
