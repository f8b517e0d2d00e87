using System.Buffers;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Space;

namespace WinReflink.Core.Data;

/// <summary>A write whose whole blocks cached blocks repeat (issue 10): those are shared, the rest written.</summary>
internal sealed partial class DataPath
{
    /// <summary>
    /// <see cref="Write"/> of <paramref name="data"/> once <see cref="CopyRecognizer.Find"/> found runs it
    /// need not write (held until the caller disposes them). The free-space check counts only what
    /// the rest of the write allocates, so a copy onto a full volume succeeds: the blocks written in
    /// place that a run shares are counted as copy-on-write, since the run's reference makes them so.
    /// Then, in an order that never frees a block a run is about to share: every run's reference, the
    /// file's old blocks there unmapped and the runs mapped, the rest written. False, with nothing
    /// changed, when a run's blocks were freed meanwhile (their last owner let go): the caller runs
    /// the write again exclusively (<paramref name="shared"/>, setting <paramref name="exclusiveNeeded"/>),
    /// or writes it without recognition.
    /// </summary>
    private bool TryWriteRecognized(Inode file, long offset, ReadOnlySpan<byte> data, RecognizedRuns recognized, WriteHashes hashes, bool shared, out FsError error, out bool exclusiveNeeded)
    {
        var gaps = Gaps(offset, data.Length, recognized.Runs);
        error = ReserveBlocks((data: this, file, gaps, runs: recognized.Runs),
            static s => s.gaps.Sum(g => s.data.BlocksToAllocate(s.file, g.Offset, g.Length, s.runs)),
            shared, out long reserved, out exclusiveNeeded);
        if (error != FsError.Ok || exclusiveNeeded)
        {
            return true;
        }
        try
        {
            if (!TryReferenceRuns(file, recognized.Runs))
            {
                exclusiveNeeded = shared;
                return false;
            }
            foreach (var run in recognized.Runs)
            {
                if (!run.Unchanged)
                {
                    Unmap(file, run.Logical, run.Count);
                    file.Extents!.Insert(new Extent(run.Logical, run.Physical, run.Count, Unwritten: false));
                }
            }
            _transaction.Changed(file);
            foreach (var (gapOffset, gapLength) in gaps)
            {
                WriteReserved(file, gapOffset, data.Slice((int)(gapOffset - offset), (int)gapLength), hashes);
            }
        }
        finally
        {
            _space.ReleaseShared(reserved);
        }
        _recognizer!.Recognized(recognized.Blocks);
        return true;
    }

    /// <summary>
    /// After a write of [offset, offset+length): its partial first and last blocks, which it wrote in
    /// part, may now hold whole a block's bytes that a clean cached block holds, as when a copier writes
    /// in pieces that do not start on block boundaries (tar's 10 KiB records) or ends the file inside a
    /// block (the bytes past EOF are zeros, as in the source's last block). Each such block is shared
    /// in place of the one just written, which is freed. Checked only where that can be so: the first
    /// block when the write reaches its end or the file's, the last when the write ends the file;
    /// nothing is reserved, as sharing frees a block.
    /// </summary>
    private void RecognizeCompletedBlocks(Inode file, long offset, int length, long sizeBefore, bool shared)
    {
        long end = offset + length;
        long head = offset / _blockSize, tail = end / _blockSize;
        bool endsFile = end >= sizeBefore;
        bool headChecked = offset % _blockSize != 0 && (end >= (head + 1) * _blockSize || endsFile);
        if (headChecked)
        {
            ShareIfRepeated(file, head, shared);
        }
        if (end % _blockSize != 0 && endsFile && !(tail == head && headChecked))
        {
            ShareIfRepeated(file, tail, shared);
        }
    }

    /// <summary>Shares, in place of the block <paramref name="file"/> maps at <paramref name="logical"/>, a clean cached block holding the same bytes, if the index finds one.</summary>
    private void ShareIfRepeated(Inode file, long logical, bool shared)
    {
        if (!file.Extents!.TryFind(logical, 1, out var ext, out _) || ext.Unwritten)
        {
            return;
        }
        long physical = ext.Physical + (logical - ext.Logical);
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockSize);
        try
        {
            var bytes = block.AsSpan(0, _blockSize);
            _cache.Read(physical * _blockSize, bytes, file.Ino, logical);
            Span<ulong> hash = stackalloc ulong[1];
            _cache.HashBlocks(bytes, hash);
            using var recognized = _recognizer!.Find(file, logical, bytes, hash, shared);
            if (recognized is not { Runs: [{ Unchanged: false } run] } || !_space.TryAddReference(run.Physical, 1))
            {
                return;
            }
            Unmap(file, logical, 1);
            file.Extents.Insert(new Extent(logical, run.Physical, 1, Unwritten: false));
            _recognizer.Recognized(1);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>The byte ranges of [offset, offset+length) that no run covers, in order.</summary>
    private List<(long Offset, long Length)> Gaps(long offset, long length, List<RecognizedRun> runs)
    {
        var gaps = new List<(long, long)>();
        long pos = offset, end = offset + length;
        foreach (var run in runs)
        {
            long start = run.Logical * _blockSize;
            if (start > pos)
            {
                gaps.Add((pos, start - pos));
            }
            pos = (run.Logical + run.Count) * _blockSize;
        }
        if (end > pos)
        {
            gaps.Add((pos, end - pos));
        }
        return gaps;
    }

    /// <summary>How many of the blocks [physical, physical+length) the runs to share map.</summary>
    private static long SharedByRuns(long physical, long length, List<RecognizedRun> runs)
    {
        long n = 0;
        foreach (var r in runs)
        {
            if (!r.Unchanged)
            {
                n += Math.Max(0, Math.Min(physical + length, r.Physical + r.Count) - Math.Max(physical, r.Physical));
            }
        }
        return n;
    }

    /// <summary>Adds each run's reference; when one's blocks were freed meanwhile, drops those added and answers false.</summary>
    private bool TryReferenceRuns(Inode file, List<RecognizedRun> runs)
    {
        for (int i = 0; i < runs.Count; i++)
        {
            if (runs[i].Unchanged || _space.TryAddReference(runs[i].Physical, runs[i].Count))
            {
                continue;
            }
            var freed = new List<BlockRange>();
            for (int j = 0; j < i; j++)
            {
                if (!runs[j].Unchanged)
                {
                    _space.Unreference(file, new Extent(-1, runs[j].Physical, runs[j].Count, Unwritten: false), freed);
                }
            }
            foreach (var r in freed)
            {
                _cache.Discard(r.Start, r.Length);
            }
            return false;
        }
        return true;
    }
}
