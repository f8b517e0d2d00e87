using WinReflink.Core.Cache;
using WinReflink.Core.Locking;
using WinReflink.Core.Namespace;
using WinReflink.Core.Space;

namespace WinReflink.Core.Data;

/// <summary>
/// Copy recognition (issue 10): finds the whole, block-aligned blocks of a write whose bytes clean
/// cached blocks already hold (<see cref="ExtentCache.FindRuns"/>: the hash narrows, the bytes decide),
/// and keeps those blocks from changing until the write has shared them. A copy made by reading and
/// writing (CopyFileEx, dd, rsync, tar) then maps the source's blocks as a clone would.
/// What keeps a matched block's bytes from changing, with the volume lock held shared:
/// <list type="bullet">
/// <item>A block mapped more than once is never written in place: every writer copies it on write. If
/// its count falls to one meanwhile, it is unshared in the running transaction, which keeps it copied
/// on write until the next commit (even a block allocated since the last one: Transaction.History),
/// and a commit needs the volume lock exclusively.</item>
/// <item>A block mapped once may be overwritten in place by its owner, under the owner's inode lock
/// held exclusively. So it is shared only while this write holds the owner's lock, taken without
/// waiting (<see cref="EngineLocks.TryHoldShared"/>), with the owner's map checked to map it there.</item>
/// <item>Either may be freed meanwhile (its last owner truncated it): its bytes leave the cache, and
/// <see cref="BlockSpace.TryAddReference"/> refuses it.</item>
/// </list>
/// Once held, each match's bytes are compared again, since they may have changed between the lookup
/// and the hold. With the volume lock exclusive nothing else runs, and no hold is needed.
/// </summary>
internal sealed class CopyRecognizer
{
    private readonly ExtentCache _cache;
    private readonly BlockSpace _space;
    private readonly EngineLocks _locks;
    private readonly Func<long, Inode?> _inodes;
    private readonly int _blockSize;
    private long _recognizedBlocks;

    public CopyRecognizer(ExtentCache cache, BlockSpace space, EngineLocks locks, Func<long, Inode?> inodes, int blockSize)
    {
        _cache = cache;
        _space = space;
        _locks = locks;
        _inodes = inodes;
        _blockSize = blockSize;
    }

    /// <summary>Blocks writes did not write because cached blocks held their bytes (shared, or the file's own already), since the volume opened.</summary>
    public long RecognizedBlocks => Interlocked.Read(ref _recognizedBlocks);

    public void Recognized(long blocks) => Interlocked.Add(ref _recognizedBlocks, blocks);

    /// <summary>
    /// The runs of a write's whole blocks (<paramref name="blocks"/>, from logical block
    /// <paramref name="firstLogical"/> of <paramref name="file"/> on, with their <paramref name="hashes"/>)
    /// that cached blocks repeat, with the locks that keep them so; null when there are none. The caller
    /// holds the file's lock exclusively, or the volume's when not <paramref name="shared"/>, and shares
    /// the runs before it lets go of the result.
    /// </summary>
    public RecognizedRuns? Find(Inode file, long firstLogical, ReadOnlySpan<byte> blocks, ReadOnlySpan<ulong> hashes, bool shared)
    {
        if (hashes.IsEmpty)
        {
            return null;
        }
        var found = _cache.FindRuns(blocks, hashes);
        if (found == null)
        {
            return null;
        }
        var runs = new RecognizedRuns();
        try
        {
            foreach (var m in found)
            {
                Hold(file, firstLogical + m.Index, m.Physical, m.Count, blocks.Slice(m.Index * _blockSize, m.Count * _blockSize), shared, runs);
            }
        }
        catch
        {
            runs.Dispose();
            throw;
        }
        if (runs.Runs.Count == 0)
        {
            runs.Dispose();
            return null;
        }
        return runs;
    }

    /// <summary>
    /// Adds to <paramref name="runs"/> the parts of one match (logical blocks from <paramref name="logical"/>
    /// repeating physical blocks from <paramref name="physical"/>) that stay true: held (when
    /// <paramref name="shared"/>) and compared again. Blocks the file maps there already are counted
    /// unchanged: nothing needs doing for them.
    /// </summary>
    private void Hold(Inode file, long logical, long physical, int count, ReadOnlySpan<byte> bytes, bool shared, RecognizedRuns runs)
    {
        var owners = new List<CacheOwner>();
        for (int k = 0; k < count;)
        {
            long l = logical + k, p = physical + k;
            int max = count - k;
            if (file.Extents!.TryFind(l, max, out var mine, out _) && !mine.Unwritten && mine.Physical + (l - mine.Logical) == p)
            {
                int same = (int)Math.Min(max, mine.LogicalEnd - l);
                same = _cache.EqualRunNow(p, bytes.Slice(k * _blockSize, same * _blockSize));
                if (same > 0)
                {
                    runs.Add(l, p, same, unchanged: true);
                    k += same;
                    continue;
                }
                k++;
                continue;
            }
            int held = shared ? HeldRun(file, p, max, owners, runs.Held) : max;
            if (held > 0)
            {
                held = _cache.EqualRunNow(p, bytes.Slice(k * _blockSize, held * _blockSize));
            }
            if (held == 0)
            {
                k++;
                continue;
            }
            runs.Add(l, p, held, unchanged: false);
            k += held;
        }
    }

    /// <summary>
    /// How many blocks from <paramref name="physical"/> (at most <paramref name="max"/>) cannot be
    /// overwritten in place while this write runs: blocks mapped more than once, and blocks mapped once
    /// whose owner's lock it now holds (taken into <paramref name="held"/>) and whose owner's map says so.
    /// </summary>
    private int HeldRun(Inode file, long physical, int max, List<CacheOwner> owners, List<ReaderWriterLockSlim> held)
    {
        var (refs, run) = _space.ShareCount(physical, max);
        if (refs >= 2)
        {
            return (int)run;
        }
        owners.Clear();
        _cache.OwnersOfBlock(physical, owners);
        foreach (var owner in owners)
        {
            if (owner.Ino != file.Ino && !_locks.TryHoldShared(owner.Ino, held))
            {
                continue;
            }
            var inode = owner.Ino == file.Ino ? file : _inodes(owner.Ino);
            if (inode?.Extents == null
                || !inode.Extents.TryFind(owner.LogicalBase, 1, out var ext, out _)
                || ext.Unwritten
                || ext.Physical + (owner.LogicalBase - ext.Logical) != physical)
            {
                continue;
            }
            // The owner's extent covers the next blocks too, as far as they are mapped once: its lock covers them.
            return (int)Math.Min(run, ext.LogicalEnd - owner.LogicalBase);
        }
        return 0;
    }
}
