using System.Buffers;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    private const int CopyChunk = 1 << 20;

    /// <summary>
    /// Makes [dstOffset, dstOffset+length) of the destination show the source's bytes. Block-aligned
    /// parts share the source's extents (O(extents), no data moves); unaligned edges, and ranges whose
    /// offsets differ modulo the block size, are copied as bytes. A range ending at the source's EOF may
    /// share its partial last block when the destination ends there too. The length is clipped at the
    /// source's EOF; <paramref name="cloned"/> says how many bytes were done (fewer only on NoSpace
    /// midway, when the bytes before are in place).
    /// </summary>
    public FsError CloneRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, out long cloned)
    {
        cloned = 0;
        if (srcOffset < 0 || dstOffset < 0 || length < 0)
        {
            return FsError.InvalidArgument;
        }
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = TryGetRegular(srcIno, out var src);
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = TryGetRegular(dstIno, out var dst);
                if (e == FsError.Ok)
                {
                    e = CheckDataWritable(dst, dstOffset);
                }
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (srcOffset >= src.Size)
                {
                    return FsError.Ok;
                }
                length = Math.Min(length, src.Size - srcOffset);
                if (length == 0)
                {
                    return FsError.Ok;
                }
                // length is clipped to the source's size here, so this cannot overflow as dstOffset + length can.
                if (dstOffset > MaxFileSize - length)
                {
                    return FsError.FileTooLarge;
                }
                if (src == dst && srcOffset < dstOffset + length && dstOffset < srcOffset + length)
                {
                    return FsError.InvalidArgument;
                }
                e = CloneLocked(src, srcOffset, dst, dstOffset, length, out cloned);
                if (cloned > 0)
                {
                    if (dstOffset + cloned > dst.Size)
                    {
                        dst.Size = dstOffset + cloned;
                    }
                    long now = Now();
                    dst.ModifyTime = now;
                    dst.ChangeTime = now;
                    Changed(dst);
                }
                return cloned > 0 && e == FsError.NoSpace ? FsError.Ok : e;
            }
            catch (Exception e) when (_health.Fault(e, "clone"))
            {
                return FsError.Io;
            }
        }
    }

    private FsError CloneLocked(Inode src, long srcOffset, Inode dst, long dstOffset, long length, out long done)
    {
        done = 0;
        if (srcOffset % _blockSize != dstOffset % _blockSize)
        {
            return CopyBytes(src, srcOffset, dst, dstOffset, length, ref done);
        }
        long head = srcOffset % _blockSize == 0 ? 0 : Math.Min(length, _blockSize - srcOffset % _blockSize);
        var e = CopyBytes(src, srcOffset, dst, dstOffset, head, ref done);
        if (e != FsError.Ok)
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
            e = CopyBytes(src, srcEnd - tail, dst, dstEnd - tail, tail, ref done);
        }
        return e;
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
        Changed(dst);
    }

    private FsError CopyBytes(Inode src, long srcOffset, Inode dst, long dstOffset, long length, ref long done)
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
                _data.Read(src, srcOffset + copied, span);
                var e = _data.Write(dst, dstOffset + copied, span);
                if (e != FsError.Ok)
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
    /// Shares the destination range with the source range if, and only if, they hold the same bytes
    /// (FIDEDUPERANGE). Offsets must be congruent modulo the block size; whole blocks are shared, and the
    /// partial edges, being equal already, are left as they are.
    /// </summary>
    public FsError DedupeRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, out long deduped)
    {
        deduped = 0;
        if (srcOffset < 0 || dstOffset < 0 || length < 0)
        {
            return FsError.InvalidArgument;
        }
        lock (_lock)
        {
            try
            {
                var e = CheckWritable();
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = TryGetRegular(srcIno, out var src);
                if (e == FsError.Ok)
                {
                    e = TryGetRegular(dstIno, out var dst);
                    if (e == FsError.Ok)
                    {
                        e = DedupeLocked(src, srcOffset, dst, dstOffset, length, out deduped);
                    }
                }
                return e;
            }
            catch (Exception e) when (_health.Fault(e, "dedupe"))
            {
                return FsError.Io;
            }
        }
    }

    private FsError DedupeLocked(Inode src, long srcOffset, Inode dst, long dstOffset, long length, out long deduped)
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
                _data.Read(src, srcOffset + pos, a.AsSpan(0, n));
                _data.Read(dst, dstOffset + pos, b.AsSpan(0, n));
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
