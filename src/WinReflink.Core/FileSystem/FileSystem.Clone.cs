using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
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
                e = _inodes.TryGetRegular(srcIno, out var src);
                if (e != FsError.Ok)
                {
                    return e;
                }
                e = _inodes.TryGetRegular(dstIno, out var dst);
                if (e == FsError.Ok)
                {
                    e = FlagRules.CheckDataWritable(dst, dstOffset);
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
                e = _cloner.Clone(src, srcOffset, dst, dstOffset, length, out cloned);
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
                e = _inodes.TryGetRegular(srcIno, out var src);
                if (e == FsError.Ok)
                {
                    e = _inodes.TryGetRegular(dstIno, out var dst);
                    if (e == FsError.Ok)
                    {
                        e = _cloner.Dedupe(src, srcOffset, dst, dstOffset, length, out deduped);
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
}
