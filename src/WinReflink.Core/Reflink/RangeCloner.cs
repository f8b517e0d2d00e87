using System.Buffers;
using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Space;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Reflink;

/// <summary>
/// Clone and dedupe of file ranges: whole blocks are shared (the destination maps the source's blocks
/// and their share counts rise), the rest is copied through the data path. Invariant on return: every
/// block either file maps is counted once per mapping. Callers hold, for one call, either the volume
/// lock exclusively or the volume lock shared with the source's lock shared and the destination's
/// exclusive (<c>shared</c>); a long clone is cut into steps (<see cref="StepLength"/>) with the locks
/// released between them. Adding references with only these two inodes locked is safe: a block whose
/// count rises is mapped by the source, whose lock this call holds, so no writer of the source is
/// deciding meanwhile to overwrite it in place; a writer of any other file that maps it already sees
/// it shared.
/// </summary>
internal sealed class RangeCloner
{
    private const int CopyChunk = 1 << 20;
    /// <summary>
    /// Sharing costs O(extents) and moves no data, so a share step may cover this many times the byte
    /// budget of a copy step: a 32 MiB step shares up to 512 MiB, at most 131,072 extents at 4 KiB.
    /// </summary>
    private const int ShareStepFactor = 16;

    private readonly DataPath _data;
    private readonly BlockSpace _space;
    private readonly Transaction _transaction;
    private readonly int _blockSize;

    public RangeCloner(DataPath data, BlockSpace space, Transaction transaction, int blockSize)
    {
        _data = data;
        _space = space;
        _transaction = transaction;
        _blockSize = blockSize;
    }

    /// <summary>
    /// Makes [dstOffset, dstOffset+length) of <paramref name="dst"/> show <paramref name="src"/>'s bytes:
    /// block-aligned parts share the source's blocks, unaligned edges are copied. On entry both files are
    /// regular, the destination writable, the range clipped at the source's EOF and not overlapping
    /// itself; on return <paramref name="done"/> bytes are in place (fewer only on NoSpace midway) and
    /// every shared block's count includes the destination. The caller moves times and the size.
    /// With <paramref name="shared"/> (the caller holds the two inode locks, not the volume's
    /// exclusively) a byte copy whose blocks are not plainly free stops before that write, with
    /// <paramref name="exclusiveNeeded"/> set and the bytes before it done: the caller goes on with the
    /// volume lock exclusive, where the free-space check may commit or answer NoSpace.
    /// </summary>
    public FsError Clone(Inode src, long srcOffset, Inode dst, long dstOffset, long length, bool shared, out long done, out bool exclusiveNeeded)
    {
        done = 0;
        exclusiveNeeded = false;
        if (srcOffset % _blockSize != dstOffset % _blockSize)
        {
            return CopyBytes(src, srcOffset, dst, dstOffset, length, shared, ref done, ref exclusiveNeeded);
        }
        long head = srcOffset % _blockSize == 0 ? 0 : Math.Min(length, _blockSize - srcOffset % _blockSize);
        var e = CopyBytes(src, srcOffset, dst, dstOffset, head, shared, ref done, ref exclusiveNeeded);
        if (e != FsError.Ok || exclusiveNeeded)
        {
            return e;
        }
        long rest = length - head;
        long blocks = rest / _blockSize;
        long tail = rest % _blockSize;
        long srcEnd = srcOffset + length, dstEnd = dstOffset + length;
        bool shareTail = tail > 0 && srcEnd == src.Size && dstEnd >= dst.Size;
        if (shareTail)
        {
            blocks++;
            tail = 0;
        }
        if (blocks > 0)
        {
            ShareBlocks(src, (srcOffset + head) / _blockSize, dst, (dstOffset + head) / _blockSize, blocks);
            done += Math.Min(rest, blocks * _blockSize);
        }
        if (tail > 0)
        {
            e = CopyBytes(src, srcEnd - tail, dst, dstEnd - tail, tail, shared, ref done, ref exclusiveNeeded);
        }
        return e;
    }

    /// <summary>
    /// How much of the <paramref name="remaining"/> bytes from <paramref name="srcPos"/> the next step
    /// clones: at most <paramref name="copyBudget"/> bytes when the offsets differ modulo the block size
    /// (every byte is copied), else up to <see cref="ShareStepFactor"/> times that, ending on a source
    /// block boundary unless it is the last step, so that no step but the first and the last copies a
    /// partial block. On entry 0 &lt; remaining and copyBudget &gt;= the block size; the result is in
    /// (0, remaining].
    /// </summary>
    public long StepLength(long srcPos, long dstPos, long remaining, long copyBudget)
    {
        if (srcPos % _blockSize != dstPos % _blockSize)
        {
            return Math.Min(remaining, copyBudget);
        }
        long budget = copyBudget * ShareStepFactor;
        if (remaining <= budget)
        {
            return remaining;
        }
        long end = (srcPos + budget) / _blockSize * _blockSize;
        return end - srcPos;
    }

    /// <summary>Maps the source's blocks into the destination and counts the new references. Holes stay holes.</summary>
    private void ShareBlocks(Inode src, long srcLogical, Inode dst, long dstLogical, long blocks)
    {
        var pieces = src.Extents!.Pieces(srcLogical, blocks);
        _data.Unmap(dst, dstLogical, blocks);
        foreach (var p in pieces)
        {
            dst.Extents!.Insert(new Extent(dstLogical + (p.Logical - srcLogical), p.Physical, p.Length, p.Unwritten));
            _space.AddReference(p.Physical, p.Length);
        }
        _transaction.Changed(dst);
    }

    private FsError CopyBytes(Inode src, long srcOffset, Inode dst, long dstOffset, long length, bool shared, ref long done, ref bool exclusiveNeeded)
    {
        if (length <= 0)
        {
            return FsError.Ok;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, CopyChunk));
        try
        {
            long copied = 0;
            while (copied < length)
            {
                int n = (int)Math.Min(length - copied, buffer.Length);
                var span = buffer.AsSpan(0, n);
                _data.ReadLoading(src, srcOffset + copied, span);
                var e = _data.Write(dst, dstOffset + copied, span, shared, out exclusiveNeeded);
                if (e != FsError.Ok || exclusiveNeeded)
                {
                    return e;
                }
                copied += n;
                done += n;
                if (dstOffset + copied > dst.Size)
                {
                    dst.Size = dstOffset + copied;
                }
            }
            return FsError.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// FIDEDUPERANGE on two regular files: shares the whole blocks of the destination range with the
    /// source's when the two ranges hold the same bytes (DataDiffers otherwise, nothing changed).
    /// </summary>
    public FsError Dedupe(Inode src, long srcOffset, Inode dst, long dstOffset, long length, out long deduped)
    {
        deduped = 0;
        if (srcOffset % _blockSize != dstOffset % _blockSize)
        {
            return FsError.InvalidArgument;
        }
        if (length > src.Size - srcOffset || length > dst.Size - dstOffset)
        {
            return FsError.InvalidArgument;
        }
        if (src == dst && srcOffset < dstOffset + length && dstOffset < srcOffset + length)
        {
            return FsError.InvalidArgument;
        }
        if (length == 0)
        {
            return FsError.Ok;
        }
        byte[] a = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, CopyChunk));
        byte[] b = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, CopyChunk));
        try
        {
            for (long pos = 0; pos < length;)
            {
                int n = (int)Math.Min(length - pos, a.Length);
                _data.ReadLoading(src, srcOffset + pos, a.AsSpan(0, n));
                _data.ReadLoading(dst, dstOffset + pos, b.AsSpan(0, n));
                if (!a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
                {
                    return FsError.DataDiffers;
                }
                pos += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
        long firstBlock = (srcOffset + _blockSize - 1) / _blockSize;
        long endBlock = (srcOffset + length) / _blockSize;
        if (endBlock > firstBlock)
        {
            long delta = dstOffset / _blockSize - srcOffset / _blockSize;
            ShareBlocks(src, firstBlock, dst, firstBlock + delta, endBlock - firstBlock);
        }
        deduped = length;
        return FsError.Ok;
    }
}
