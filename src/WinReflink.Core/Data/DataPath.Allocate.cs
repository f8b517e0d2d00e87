using System.Buffers;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Space;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Data;

internal sealed partial class DataPath
{
    /// <summary>
    /// Sets the size; blocks past a smaller size are unmapped after the kept last block's tail is zeroed
    /// (NoSpace leaves the file whole). With the volume lock shared (<paramref name="shared"/>), as
    /// <see cref="Write"/>: when that zeroing needs blocks that are not plainly free, nothing changes
    /// and <paramref name="exclusiveNeeded"/> says to run the truncate again exclusively.
    /// </summary>
    public FsError Truncate(Inode file, long size, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        if (size < file.Size)
        {
            // Zero the new last block's tail first: it may need a copy-on-write block, and if that
            // fails for want of space the file must still be whole.
            var e = ZeroTail(file, size, shared, out exclusiveNeeded);
            if (e != FsError.Ok || exclusiveNeeded)
            {
                return e;
            }
            long keepBlocks = (size + _blockSize - 1) / _blockSize;
            Unmap(file, keepBlocks, long.MaxValue / 2 - keepBlocks);
        }
        file.Size = size;
        _transaction.Changed(file);
        return FsError.Ok;
    }

    /// <summary>
    /// Keeps the bytes past EOF in the last block zero, so that a later extension, or a clone that shares
    /// the block, never shows old bytes (invariant 8).
    /// </summary>
    private FsError ZeroTail(Inode file, long size, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        int tail = (int)(size % _blockSize);
        if (tail == 0)
        {
            return FsError.Ok;
        }
        return ZeroBytes(file, size, _blockSize - tail, reserved: false, shared, out exclusiveNeeded);
    }

    /// <summary>
    /// Writes zeros over bytes of blocks that are mapped and written; holes and unwritten blocks already
    /// read as zero. Through <see cref="Write"/>, which reserves what a copy-on-write needs (see it for
    /// <paramref name="shared"/> and <paramref name="exclusiveNeeded"/>), or, when the caller reserved
    /// those blocks already (<paramref name="reserved"/>), straight into them.
    /// </summary>
    private FsError ZeroBytes(Inode file, long offset, long length, bool reserved, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        if (length <= 0)
        {
            return FsError.Ok;
        }
        long logical = offset / _blockSize;
        if (!file.Extents!.TryFind(logical, 1, out var ext, out _) || ext.Unwritten)
        {
            return FsError.Ok;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var zeros = buffer.AsSpan(0, (int)length);
            zeros.Clear();
            if (reserved)
            {
                WriteReserved(file, offset, zeros);
                return FsError.Ok;
            }
            return Write(file, offset, zeros, shared, out exclusiveNeeded);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// fallocate on a regular, writable file whose range the caller checked (offset &gt;= 0, length &gt; 0,
    /// end within MaxFileSize). Reserves the blocks it needs before changing anything: exactly with the
    /// volume lock exclusive, or against other shared-mode changes with it shared
    /// (<paramref name="shared"/>), where blocks that are not plainly free change nothing and set
    /// <paramref name="exclusiveNeeded"/>, as <see cref="Write"/>.
    /// </summary>
    public FsError Fallocate(Inode file, long offset, long length, AllocateMode mode, bool shared, out bool exclusiveNeeded)
    {
        long end = offset + length;
        long firstWhole = (offset + _blockSize - 1) / _blockSize, endWhole = end / _blockSize;
        bool punch = mode == AllocateMode.PunchHole;
        bool zero = mode is AllocateMode.ZeroRange or AllocateMode.ZeroRangeKeepSize;
        long first = offset / _blockSize, last = (end + _blockSize - 1) / _blockSize;
        var e = punch || zero
            ? ReserveBlocks((data: this, file, offset, end, firstWhole, endWhole, zero),
                static s => (s.zero ? Math.Max(0, s.endWhole - s.firstWhole) : 0) + s.data.PartialBlocksNeedingCow(s.file, s.offset, s.end, s.firstWhole, s.endWhole),
                shared, out long reserved, out exclusiveNeeded)
            : ReserveBlocks((data: this, file, first, last), static s => s.data.HoleBlocks(s.file, s.first, s.last), shared, out reserved, out exclusiveNeeded);
        if (e != FsError.Ok || exclusiveNeeded)
        {
            return e;
        }
        try
        {
            FallocateReserved(file, offset, end, mode);
        }
        finally
        {
            _space.ReleaseShared(reserved);
        }
        return FsError.Ok;
    }

    private void FallocateReserved(Inode file, long offset, long end, AllocateMode mode)
    {
        long firstWhole = (offset + _blockSize - 1) / _blockSize, endWhole = end / _blockSize;
        bool punch = mode == AllocateMode.PunchHole;
        bool zero = mode is AllocateMode.ZeroRange or AllocateMode.ZeroRangeKeepSize;
        bool keepSize = mode is AllocateMode.KeepSize or AllocateMode.PunchHole or AllocateMode.ZeroRangeKeepSize;
        if (punch || zero)
        {
            ZeroPartialEdges(file, offset, end, firstWhole, endWhole);
            if (endWhole > firstWhole)
            {
                Unmap(file, firstWhole, endWhole - firstWhole);
                if (zero)
                {
                    AllocateUnwritten(file, firstWhole, endWhole - firstWhole);
                }
            }
            long now = FileSystem.Now();
            file.ModifyTime = now;
            file.ChangeTime = now;
        }
        else
        {
            long first = offset / _blockSize, last = (end + _blockSize - 1) / _blockSize;
            AllocateUnwritten(file, first, last - first);
        }
        if (!keepSize && end > file.Size)
        {
            file.Size = end;
            long now = FileSystem.Now();
            file.ModifyTime = now;
            file.ChangeTime = now;
        }
        _transaction.Changed(file);
    }

    private long HoleBlocks(Inode file, long first, long last)
    {
        long holes = 0;
        for (long b = first; b < last;)
        {
            var run = Classify(file, b, last - b);
            if (run.Kind == RunKind.Hole)
            {
                holes += run.Length;
            }
            b += run.Length;
        }
        return holes;
    }

    /// <summary>
    /// The blocks <see cref="ZeroPartialEdges"/> may allocate: each partial block it zeroes that is
    /// shared (copy-on-write) or a hole (counted, though zeroing skips it). It is the whole reservation
    /// of those writes, so it must count every block they write: the one block of a range inside a
    /// single block, else the partial head and the partial tail.
    /// </summary>
    private long PartialBlocksNeedingCow(Inode file, long offset, long end, long firstWhole, long endWhole)
    {
        if (firstWhole > endWhole)
        {
            return BlocksToAllocate(file, offset, 1);
        }
        long n = 0;
        if (offset % _blockSize != 0)
        {
            n += BlocksToAllocate(file, offset, 1);
        }
        if (end % _blockSize != 0)
        {
            n += BlocksToAllocate(file, end - 1, 1);
        }
        return n;
    }

    /// <summary>Zeros the partial blocks at the ends of a punched or zeroed range, into blocks the caller reserved.</summary>
    private void ZeroPartialEdges(Inode file, long offset, long end, long firstWhole, long endWhole)
    {
        if (firstWhole > endWhole)
        {
            // Start and end inside one block.
            ZeroBytes(file, offset, end - offset, reserved: true, shared: false, out _);
            return;
        }
        ZeroBytes(file, offset, firstWhole * _blockSize - offset, reserved: true, shared: false, out _);
        ZeroBytes(file, endWhole * _blockSize, end - endWhole * _blockSize, reserved: true, shared: false, out _);
    }

    /// <summary>Gives every hole of the range unwritten blocks (space reserved, reads as zeros).</summary>
    private void AllocateUnwritten(Inode file, long logical, long count)
    {
        for (long b = logical; b < logical + count;)
        {
            var run = Classify(file, b, logical + count - b);
            if (run.Kind != RunKind.Hole)
            {
                b += run.Length;
                continue;
            }
            long done = 0;
            while (done < run.Length)
            {
                var got = _space.Allocate(file, _space.Goal(file, b + done), run.Length - done);
                file.Extents!.Insert(new Extent(b + done, got.Start, got.Length, Unwritten: true));
                done += got.Length;
            }
            b += run.Length;
        }
    }

}
