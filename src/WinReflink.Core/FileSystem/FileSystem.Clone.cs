using System.Diagnostics;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>The byte copy one clone step may do under its locks (an unaligned clone copies every byte).</summary>
    internal const long DefaultCloneStepBytes = 32L << 20;

    /// <summary>Tests shrink it to make many steps of a small clone; at least one block.</summary>
    internal long CloneStepBytes { get; set; } = DefaultCloneStepBytes;

    /// <summary>
    /// Tests' view of the step boundary: called on the cloning thread after each step but the last,
    /// with the bytes done, while no lock is held.
    /// </summary>
    internal Action<long>? CloneStepEnded { get; set; }

    /// <summary>
    /// Makes [dstOffset, dstOffset+length) of the destination show the source's bytes. Block-aligned
    /// parts share the source's extents (O(extents), no data moves); unaligned edges, and ranges whose
    /// offsets differ modulo the block size, are copied as bytes. A range ending at the source's EOF may
    /// share its partial last block when the destination ends there too. The length is clipped at the
    /// source's EOF; <paramref name="cloned"/> says how many bytes were done (fewer on NoSpace midway,
    /// or when a step found the files changed, when the bytes before are in place).
    /// </summary>
    public FsError CloneRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, out long cloned) =>
        CloneRange(srcIno, srcOffset, dstIno, dstOffset, length, CancellationToken.None, out cloned);

    /// <summary>
    /// <see cref="CloneRange(long, long, long, long, long, out long)"/> in steps of at most
    /// <see cref="CloneStepBytes"/> of byte copy (more when blocks are shared). Each step holds the
    /// volume lock shared with the source's lock shared and the destination's exclusive (in stripe
    /// order, <see cref="Locking.EngineLocks.Inodes"/>), so calls on other files run during the steps,
    /// and readers of these two files and the group commit between them; a step whose byte copy finds
    /// its blocks not plainly free stops there and runs again with the volume lock exclusive. Each step checks
    /// again what may have changed meanwhile: the volume still writable, both files still there, the
    /// destination still writable and not truncated below the part done; the source's size as of the
    /// step clips the range. A check that fails after some bytes stops the clone with the part done (a
    /// short count, as a short write). <paramref name="cancel"/> is looked at before each step: once
    /// cancelled the clone answers <see cref="FsError.Interrupted"/>, <paramref name="cloned"/> holding
    /// the bytes done.
    /// </summary>
    public FsError CloneRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, CancellationToken cancel, out long cloned)
    {
        cloned = 0;
        if (srcOffset < 0 || dstOffset < 0 || length < 0)
        {
            return FsError.InvalidArgument;
        }
        long step = Math.Max(CloneStepBytes, _blockSize);
        // The end of the source range, fixed by the first step; later steps only clip it further.
        long srcEnd = -1;
        // A step that found its blocks not plainly free runs again with the volume lock exclusive.
        bool exclusive = false;
        while (true)
        {
            if (cancel.IsCancellationRequested)
            {
                return FsError.Interrupted;
            }
            FsError e;
            bool more;
            long stepStart = Stopwatch.GetTimestamp();
            using (exclusive ? _locks.Exclusive() : _locks.Inodes(srcIno, false, dstIno, true))
            {
                try
                {
                    Inode src, dst;
                    if (srcEnd < 0)
                    {
                        e = StartClone(srcIno, srcOffset, dstIno, dstOffset, length, out src, out dst, out srcEnd);
                        if (e != FsError.Ok)
                        {
                            return e;
                        }
                    }
                    else if (!CloneMayGoOn(srcIno, dstIno, dstOffset + cloned, ref srcEnd, out src, out dst))
                    {
                        // What changed since the last step stops the clone with the part done, as a short write.
                        return FsError.Ok;
                    }
                    if (srcOffset + cloned >= srcEnd)
                    {
                        return FsError.Ok;
                    }
                    e = CloneStep(src, srcOffset + cloned, dst, dstOffset + cloned, srcEnd - srcOffset - cloned, step, !exclusive, out long done, out exclusive);
                    cloned += done;
                    if (e != FsError.Ok)
                    {
                        return cloned > 0 && e == FsError.NoSpace ? FsError.Ok : e;
                    }
                    if (exclusive && cloned == 0)
                    {
                        // Nothing done yet: the exclusive step is the first one, with the first step's checks
                        // (the later steps' check that the destination reaches the part done assumes a part done).
                        srcEnd = -1;
                    }
                    more = exclusive || srcOffset + cloned < srcEnd;
                }
                catch (Exception x) when (_health.Fault(x, "clone"))
                {
                    return FsError.Io;
                }
            }
            if (!more)
            {
                return FsError.Ok;
            }
            CloneStepEnded?.Invoke(cloned);
            LetWaitersIn(Stopwatch.GetElapsedTime(stepStart));
        }
    }

    /// <summary>
    /// Between two steps: the locks do not queue their waiters strictly, so a thread that takes them
    /// again at once can win against the ones it just woke (a stat of the destination, the commit's
    /// capture). After a step that held them a millisecond or more (a byte copy) the clone sleeps
    /// 1 ms, for at most a few percent of its time; after a shorter one (sharing blocks) it only yields.
    /// </summary>
    private static void LetWaitersIn(TimeSpan step)
    {
        if (step >= TimeSpan.FromMilliseconds(1))
        {
            Thread.Sleep(1);
        }
        else
        {
            Thread.Yield();
        }
    }

    /// <summary>
    /// The checks of the whole clone, under the step's locks, before its first step. On return with Ok
    /// both files are regular and <paramref name="srcEnd"/> is where the source range ends, clipped at
    /// the source's EOF (srcEnd == srcOffset: nothing to do).
    /// </summary>
    private FsError StartClone(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, out Inode src, out Inode dst, out long srcEnd)
    {
        srcEnd = srcOffset;
        src = dst = null!;
        var e = CheckWritable();
        if (e == FsError.Ok)
        {
            e = _inodes.TryGetRegular(srcIno, out src);
        }
        if (e == FsError.Ok)
        {
            e = _inodes.TryGetRegular(dstIno, out dst);
        }
        if (e == FsError.Ok)
        {
            e = FlagRules.CheckDataWritable(dst, dstOffset);
        }
        if (e != FsError.Ok || srcOffset >= src.Size)
        {
            return e;
        }
        length = Math.Min(length, src.Size - srcOffset);
        // length is clipped to the source's size here, so this cannot overflow as dstOffset + length can.
        if (length > 0 && dstOffset > MaxFileSize - length)
        {
            return FsError.FileTooLarge;
        }
        if (src == dst && srcOffset < dstOffset + length && dstOffset < srcOffset + length)
        {
            return FsError.InvalidArgument;
        }
        srcEnd = srcOffset + length;
        return FsError.Ok;
    }

    /// <summary>
    /// What a step after the first checks again, under the step's locks: they were released since the
    /// last step, so the volume may have failed or gone read-only, either file may be gone, the
    /// destination may be immutable, append-only or truncated below <paramref name="dstPos"/> (the end
    /// of the part done; going on would leave a hole the truncation never made), and the source may be
    /// shorter: <paramref name="srcEnd"/> is clipped at its size. False stops the clone.
    /// </summary>
    private bool CloneMayGoOn(long srcIno, long dstIno, long dstPos, ref long srcEnd, out Inode src, out Inode dst)
    {
        src = dst = null!;
        if (CheckWritable() != FsError.Ok || _inodes.TryGetRegular(srcIno, out src) != FsError.Ok)
        {
            return false;
        }
        srcEnd = Math.Min(srcEnd, src.Size);
        return _inodes.TryGetRegular(dstIno, out dst) == FsError.Ok
            && FlagRules.CheckDataWritable(dst, dstPos) == FsError.Ok
            && dst.Size >= dstPos;
    }

    /// <summary>
    /// One step, under its locks, of at most <paramref name="remaining"/> bytes. The invariant at
    /// each step boundary, on entry and on return: the bytes done are in place and the destination's
    /// size and times show them, in the running transaction; so whatever commits between steps (the
    /// group commit, another file's fsync) holds a done prefix of the clone and nothing half-done, and a
    /// crash between steps leaves that prefix.
    /// </summary>
    private FsError CloneStep(Inode src, long srcPos, Inode dst, long dstPos, long remaining, long budget, bool shared, out long done, out bool exclusiveNeeded)
    {
        long length = _cloner.StepLength(srcPos, dstPos, remaining, budget);
        var e = _cloner.Clone(src, srcPos, dst, dstPos, length, shared, out done, out exclusiveNeeded);
        if (done > 0)
        {
            if (dstPos + done > dst.Size)
            {
                dst.Size = dstPos + done;
            }
            long now = Now();
            dst.ModifyTime = now;
            dst.ChangeTime = now;
            Changed(dst);
        }
        return e;
    }

    /// <summary>
    /// Shares the destination range with the source range if, and only if, they hold the same bytes
    /// (FIDEDUPERANGE). Offsets must be congruent modulo the block size; whole blocks are shared, and the
    /// partial edges, being equal already, are left as they are. Holds the two files' locks (the
    /// source's shared, the destination's exclusive) and the volume lock shared: the comparison of a
    /// long range holds up those two files only.
    /// </summary>
    public FsError DedupeRange(long srcIno, long srcOffset, long dstIno, long dstOffset, long length, out long deduped)
    {
        deduped = 0;
        if (srcOffset < 0 || dstOffset < 0 || length < 0)
        {
            return FsError.InvalidArgument;
        }
        using (_locks.Inodes(srcIno, false, dstIno, true))
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
