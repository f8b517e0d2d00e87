using Microsoft.Extensions.Logging;
using System.Buffers;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Storage;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>What a run of logical blocks is, for the write path.</summary>
    private enum RunKind
    {
        Hole,
        /// <summary>Owned by this file alone since the last commit: overwritten in place.</summary>
        Private,
        /// <summary>Allocated by fallocate, never written: reads as zeros; converted on write.</summary>
        PrivateUnwritten,
        /// <summary>Mapped by another file too (or in the last commit): copy-on-write.</summary>
        Shared,
    }

    private readonly record struct Run(RunKind Kind, long Physical, long Length, bool Unwritten);

    /// <summary>The run of blocks from <paramref name="logical"/> (at most max) that one action can handle.</summary>
    private Run Classify(Inode file, long logical, long max)
    {
        if (!file.Extents!.TryFind(logical, max, out var ext, out long hole))
        {
            return new Run(RunKind.Hole, 0, hole, false);
        }
        long p = ext.Physical + (logical - ext.Logical);
        long n = Math.Min(max, ext.LogicalEnd - logical);
        var (refs, refRun) = _state.Refcounts.RunAt(p, n);
        if (refs >= 2)
        {
            return new Run(RunKind.Shared, p, refRun, ext.Unwritten);
        }
        // A block allocated in the running transaction holds no committed data, so nothing a crash
        // returns to can see it: overwrite it in place, whatever it was before (issue 6, defect 5).
        var (fresh, freshRun) = _allocatedSinceCommit.RunAt(p, refRun);
        if (fresh)
        {
            return new Run(ext.Unwritten ? RunKind.PrivateUnwritten : RunKind.Private, p, freshRun, ext.Unwritten);
        }
        var (unshared, unsharedRun) = _recentlyUnshared.RunAt(p, freshRun);
        if (unshared)
        {
            return new Run(RunKind.Shared, p, unsharedRun, ext.Unwritten);
        }
        if (!ext.Unwritten && file.CommittedSize % _blockSize != 0)
        {
            long eofBlock = file.CommittedSize / _blockSize;
            if (logical == eofBlock)
            {
                return new Run(RunKind.Shared, p, 1, Unwritten: false);
            }
            if (logical < eofBlock && logical + unsharedRun > eofBlock)
            {
                unsharedRun = eofBlock - logical;
            }
        }
        return new Run(ext.Unwritten ? RunKind.PrivateUnwritten : RunKind.Private, p, unsharedRun, ext.Unwritten);
    }

    public FsError Read(long ino, long offset, Span<byte> buffer, out int bytesRead)
    {
        bytesRead = 0;
        if (offset < 0)
        {
            return FsError.InvalidArgument;
        }
        lock (_lock)
        {
            try
            {
                var e = TryGetRegular(ino, out var file);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (offset >= file.Size || buffer.Length == 0)
                {
                    return FsError.Ok;
                }
                int n = (int)Math.Min(buffer.Length, file.Size - offset);
                ReadCore(file, offset, buffer[..n]);
                bytesRead = n;
                UpdateAccessTime(file);
                return FsError.Ok;
            }
            catch (BlockReadException e)
            {
                // Clean blocks the host could not read: this read fails, nothing is lost, the volume
                // carries on. A write-back that fails while the read evicts a window is an ordinary
                // IOException and stops the volume below.
                _logger.LogError(e.InnerException, "Read of inode {Ino} at offset {Offset} ({Length} bytes) failed: physical block {Block} (+{Blocks}) of {Volume}'s data file could not be read",
                    ino, offset, buffer.Length, e.Block, e.Blocks, _layout.Folder);
                return FsError.Io;
            }
            catch (Exception e) when (Fault(e, "read"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>relatime: the access time moves only when it is older than the last change, or a day old.</summary>
    private void UpdateAccessTime(Inode file)
    {
        if (IsReadOnly)
        {
            return;
        }
        long now = Now();
        if (file.AccessTime <= file.ModifyTime || file.AccessTime <= file.ChangeTime || now - file.AccessTime > TimeSpan.TicksPerDay)
        {
            file.AccessTime = now;
            Changed(file);
        }
    }

    private void ReadCore(Inode file, long offset, Span<byte> buffer)
    {
        long pos = offset, end = offset + buffer.Length;
        while (pos < end)
        {
            long logical = pos / _blockSize;
            int inBlock = (int)(pos % _blockSize);
            long maxBlocks = (end - pos + inBlock + _blockSize - 1) / _blockSize;
            long runBytes;
            if (file.Extents!.TryFind(logical, maxBlocks, out var ext, out long hole))
            {
                long blocks = Math.Min(maxBlocks, ext.LogicalEnd - logical);
                runBytes = Math.Min(end - pos, blocks * _blockSize - inBlock);
                var dst = buffer.Slice((int)(pos - offset), (int)runBytes);
                if (ext.Unwritten)
                {
                    dst.Clear();
                }
                else
                {
                    long physical = ext.Physical + (logical - ext.Logical);
                    _cache.Read(physical * _blockSize + inBlock, dst, file.Ino, logical);
                }
            }
            else
            {
                runBytes = Math.Min(end - pos, hole * _blockSize - inBlock);
                buffer.Slice((int)(pos - offset), (int)runBytes).Clear();
            }
            pos += runBytes;
        }
    }

    /// <summary>Writes bytes; with <paramref name="killSuidSgid"/> (a write by someone other than root) clears set-ID bits.</summary>
    public FsError Write(long ino, long offset, ReadOnlySpan<byte> data, out int written, bool killSuidSgid = false)
    {
        written = 0;
        if (offset < 0)
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
                e = TryGetRegular(ino, out var file);
                if (e == FsError.Ok)
                {
                    e = CheckDataWritable(file, offset);
                }
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (data.Length == 0)
                {
                    return FsError.Ok;
                }
                // Not offset + length: that overflows for offsets near long.MaxValue and would pass.
                if (offset > MaxFileSize - data.Length)
                {
                    return FsError.FileTooLarge;
                }
                e = WriteCore(file, offset, data);
                if (e != FsError.Ok)
                {
                    return e;
                }
                file.Size = Math.Max(file.Size, offset + data.Length);
                long now = Now();
                file.ModifyTime = now;
                file.ChangeTime = now;
                if (killSuidSgid)
                {
                    KillSuidSgid(file);
                }
                Changed(file);
                written = data.Length;
                return FsError.Ok;
            }
            catch (Exception e) when (Fault(e, "write"))
            {
                return FsError.Io;
            }
        }
    }

    /// <summary>
    /// Whether the blocks an operation needs can be allocated now; <paramref name="count"/> counts them
    /// from the file's current state. Blocks freed in the running transaction become allocatable once
    /// it commits, so when they would make the difference, commit first (as XFS forces its log when
    /// busy extents stand in the way): space that statfs reports free is usable. The commit moves
    /// committed sizes and ends the transaction's fresh blocks, which can turn a block counted as an
    /// in-place write into copy-on-write, so the blocks are counted again after it (defect 1).
    /// Called only before an operation changes anything, or between two complete steps of one.
    /// Returns Ok, NoSpace, or the commit's error.
    /// </summary>
    private FsError ReserveSpace<TState>(TState state, Func<TState, long> count)
    {
        var a = _state.Allocator;
        long need = count(state);
        if (need <= a.FreeBlocks)
        {
            return FsError.Ok;
        }
        if (IsReadOnly || need > a.FreeBlocks + a.BusyBlocks)
        {
            return FsError.NoSpace;
        }
        var e = CommitGuarded();
        if (e != FsError.Ok)
        {
            return e;
        }
        return count(state) <= a.FreeBlocks ? FsError.Ok : FsError.NoSpace;
    }

    /// <summary>Blocks a write of [offset, offset+length) must allocate: holes and copy-on-write.</summary>
    private long BlocksToAllocate(Inode file, long offset, long length)
    {
        long first = offset / _blockSize, end = (offset + length + _blockSize - 1) / _blockSize;
        long need = 0;
        for (long b = first; b < end;)
        {
            var run = Classify(file, b, end - b);
            if (run.Kind is RunKind.Hole or RunKind.Shared)
            {
                need += run.Length;
            }
            b += run.Length;
        }
        return need;
    }

    /// <summary>
    /// Writes bytes into the file's blocks, allocating holes and copying shared blocks on write. Fails
    /// with NoSpace before changing anything when the volume cannot hold the write.
    /// </summary>
    private FsError WriteCore(Inode file, long offset, ReadOnlySpan<byte> data)
    {
        var e = ReserveSpace((fs: this, file, offset, length: (long)data.Length), static s => s.fs.BlocksToAllocate(s.file, s.offset, s.length));
        if (e != FsError.Ok)
        {
            return e;
        }
        long pos = offset, end = offset + data.Length;
        while (pos < end)
        {
            long logical = pos / _blockSize;
            long endBlock = (end + _blockSize - 1) / _blockSize;
            var run = Classify(file, logical, endBlock - logical);
            long runEndByte = Math.Min(end, (logical + run.Length) * _blockSize);
            var chunk = data.Slice((int)(pos - offset), (int)(runEndByte - pos));
            int inBlock = (int)(pos % _blockSize);
            switch (run.Kind)
            {
                case RunKind.Private:
                    _cache.Write(run.Physical * _blockSize + inBlock, chunk, file.Ino, logical, fresh: false);
                    break;
                case RunKind.PrivateUnwritten:
                    file.Extents!.Remove(logical, run.Length);
                    file.Extents.Insert(new Extent(logical, run.Physical, run.Length, Unwritten: false));
                    _cache.Write(run.Physical * _blockSize + inBlock, chunk, file.Ino, logical, fresh: true);
                    break;
                case RunKind.Hole:
                    WriteNewBlocks(file, logical, run.Length, inBlock, chunk, null);
                    break;
                case RunKind.Shared:
                    WriteNewBlocks(file, logical, run.Length, inBlock, chunk, run);
                    break;
            }
            pos = runEndByte;
        }
        return FsError.Ok;
    }

    /// <summary>
    /// Allocates blocks for a hole, or for copy-on-write of a shared run, and writes into them. Only the
    /// partial first and last blocks of a copy-on-write need the old bytes, so a 4 KiB overwrite of a
    /// shared file writes 4 KiB.
    /// </summary>
    private void WriteNewBlocks(Inode file, long logical, long blocks, int inBlock, ReadOnlySpan<byte> chunk, Run? shared)
    {
        long done = 0;
        int chunkDone = 0;
        while (done < blocks)
        {
            long goal = AllocationGoal(file, logical + done);
            var got = AllocateChecked(file, goal, blocks - done);
            long l = logical + done;
            int first = done == 0 ? inBlock : 0;
            int bytes = (int)Math.Min(chunk.Length - chunkDone, got.Length * _blockSize - first);
            // After copying the old partial blocks the new blocks are no longer fresh: if the cache
            // evicts them before the write below, it must read the copy back, not zero-fill it.
            bool copied = shared is { Unwritten: false };
            if (shared is { Unwritten: false } s)
            {
                long oldPhysical = s.Physical + done;
                if (first != 0)
                {
                    CopyBlock(file, oldPhysical, got.Start, l);
                }
                long lastBlockOffset = (first + bytes - 1) / _blockSize;
                if ((first + bytes) % _blockSize != 0 && (lastBlockOffset != 0 || first == 0))
                {
                    CopyBlock(file, oldPhysical + lastBlockOffset, got.Start + lastBlockOffset, l + lastBlockOffset);
                }
            }
            _cache.Write(got.Start * _blockSize + first, chunk.Slice(chunkDone, bytes), file.Ino, l, fresh: !copied);
            if (shared is { } old)
            {
                UnmapRange(file, l, got.Length);
            }
            file.Extents!.Insert(new Extent(l, got.Start, got.Length, Unwritten: false));
            chunkDone += bytes;
            done += got.Length;
        }
    }

    /// <summary>
    /// Allocates up to <paramref name="want"/> blocks for <paramref name="file"/> and records them as
    /// fresh in the running transaction. Callers have reserved the space (ReserveSpace): running out
    /// here is a broken invariant of the free-space accounting, reported as corruption by the caller's guard.
    /// </summary>
    private BlockRange AllocateChecked(Inode file, long goal, long want)
    {
        if (!_state.Allocator.TryAllocate(goal, want, out var got))
        {
            throw new CorruptionException($"allocation of {want} blocks failed after the free-space check reserved them", file.Ino, goal);
        }
        _allocatedSinceCommit.Add(got.Start, got.Length);
        _lastAllocationEnd = got.End;
        file.AllocationGoal = got.End;
        return got;
    }

    private void CopyBlock(Inode file, long fromPhysical, long toPhysical, long logical)
    {
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockSize);
        try
        {
            var span = block.AsSpan(0, _blockSize);
            _cache.Read(fromPhysical * _blockSize, span, file.Ino, logical);
            _cache.Write(toPhysical * _blockSize, span, file.Ino, logical, fresh: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Next to the previous logical block's physical block when it is free, so runs stay contiguous.</summary>
    private long AllocationGoal(Inode file, long logical)
    {
        if (logical > 0 && file.Extents!.TryFind(logical - 1, 1, out var prev, out _))
        {
            long p = prev.Physical + (logical - 1 - prev.Logical) + 1;
            if (_state.Refcounts.RunAt(p - 1, 1).Refs == 1)
            {
                return p;
            }
        }
        return file.AllocationGoal >= 0 ? file.AllocationGoal : _lastAllocationEnd;
    }

    /// <summary>Unmaps logical blocks; blocks that lose their last owner go busy until the next commit.</summary>
    private void UnmapRange(Inode file, long logical, long count)
    {
        var removed = file.Extents!.Remove(logical, count);
        if (removed.Count == 0)
        {
            return;
        }
        var freed = new List<BlockRange>();
        var unshared = new List<BlockRange>();
        foreach (var piece in removed)
        {
            if (_state.Allocator.Free.Overlaps(piece.Physical, piece.Length))
            {
                Corrupt("a mapped extent overlaps free space", file.Ino, piece.Physical);
                continue;
            }
            _cache.RemoveOwner(file.Ino, piece.Logical, piece.Physical, piece.Length);
            _state.Refcounts.DropReference(piece.Physical, piece.Length, freed, unshared);
        }
        foreach (var r in freed)
        {
            _cache.Discard(r.Start, r.Length);
            _state.Allocator.Release(r.Start, r.Length);
        }
        foreach (var r in unshared)
        {
            _recentlyUnshared.AddMissing(r.Start, r.Length);
        }
        Changed(file);
    }

    private FsError Truncate(Inode file, long size)
    {
        if (size < file.Size)
        {
            // Zero the new last block's tail first: it may need a copy-on-write block, and if that
            // fails for want of space the file must still be whole.
            var e = ZeroTail(file, size);
            if (e != FsError.Ok)
            {
                return e;
            }
            long keepBlocks = (size + _blockSize - 1) / _blockSize;
            UnmapRange(file, keepBlocks, long.MaxValue / 2 - keepBlocks);
        }
        file.Size = size;
        Changed(file);
        return FsError.Ok;
    }

    /// <summary>
    /// Keeps the bytes past EOF in the last block zero, so that a later extension, or a clone that shares
    /// the block, never shows old bytes (invariant 8).
    /// </summary>
    private FsError ZeroTail(Inode file, long size)
    {
        int tail = (int)(size % _blockSize);
        if (tail == 0)
        {
            return FsError.Ok;
        }
        return ZeroBytes(file, size, _blockSize - tail);
    }

    /// <summary>Writes zeros over bytes of blocks that are mapped and written; holes and unwritten blocks already read as zero.</summary>
    private FsError ZeroBytes(Inode file, long offset, long length)
    {
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
            Array.Clear(buffer, 0, (int)length);
            return WriteCore(file, offset, buffer.AsSpan(0, (int)length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>fallocate; with <paramref name="killSuidSgid"/> (a caller other than root) clears set-ID bits as a write does.</summary>
    public FsError Allocate(long ino, long offset, long length, AllocateMode mode, bool killSuidSgid = false)
    {
        if (offset < 0 || length <= 0)
        {
            return FsError.InvalidArgument;
        }
        if (offset + length > MaxFileSize || offset + length < 0)
        {
            return FsError.FileTooLarge;
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
                e = TryGetRegular(ino, out var file);
                if (e == FsError.Ok)
                {
                    e = CheckAllocatable(file, mode);
                }
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (killSuidSgid)
                {
                    KillSuidSgid(file);
                    Changed(file);
                }
                long end = offset + length;
                long firstWhole = (offset + _blockSize - 1) / _blockSize, endWhole = end / _blockSize;
                bool punch = mode == AllocateMode.PunchHole;
                bool zero = mode is AllocateMode.ZeroRange or AllocateMode.ZeroRangeKeepSize;
                bool keepSize = mode is AllocateMode.KeepSize or AllocateMode.PunchHole or AllocateMode.ZeroRangeKeepSize;
                if (punch || zero)
                {
                    e = ReserveSpace((fs: this, file, offset, end, firstWhole, endWhole, zero),
                        static s => (s.zero ? Math.Max(0, s.endWhole - s.firstWhole) : 0) + s.fs.PartialBlocksNeedingCow(s.file, s.offset, s.end, s.firstWhole, s.endWhole));
                    if (e != FsError.Ok)
                    {
                        return e;
                    }
                    e = ZeroPartialEdges(file, offset, end, firstWhole, endWhole);
                    if (e != FsError.Ok)
                    {
                        return e;
                    }
                    if (endWhole > firstWhole)
                    {
                        UnmapRange(file, firstWhole, endWhole - firstWhole);
                        if (zero)
                        {
                            AllocateUnwritten(file, firstWhole, endWhole - firstWhole);
                        }
                    }
                    long now = Now();
                    file.ModifyTime = now;
                    file.ChangeTime = now;
                }
                else
                {
                    long first = offset / _blockSize, last = (end + _blockSize - 1) / _blockSize;
                    e = ReserveSpace((fs: this, file, first, last), static s => s.fs.HoleBlocks(s.file, s.first, s.last));
                    if (e != FsError.Ok)
                    {
                        return e;
                    }
                    AllocateUnwritten(file, first, last - first);
                }
                if (!keepSize && end > file.Size)
                {
                    file.Size = end;
                    long now = Now();
                    file.ModifyTime = now;
                    file.ChangeTime = now;
                }
                Changed(file);
                return FsError.Ok;
            }
            catch (Exception e) when (Fault(e, "fallocate"))
            {
                return FsError.Io;
            }
        }
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

    private long PartialBlocksNeedingCow(Inode file, long offset, long end, long firstWhole, long endWhole)
    {
        long n = 0;
        if (offset % _blockSize != 0)
        {
            n += BlocksToAllocate(file, offset, 1);
        }
        if (end % _blockSize != 0 && endWhole >= firstWhole && (end / _blockSize) != offset / _blockSize)
        {
            n += BlocksToAllocate(file, end - 1, 1);
        }
        return n;
    }

    private FsError ZeroPartialEdges(Inode file, long offset, long end, long firstWhole, long endWhole)
    {
        if (firstWhole > endWhole)
        {
            // Start and end inside one block.
            return ZeroBytes(file, offset, end - offset);
        }
        var e = ZeroBytes(file, offset, firstWhole * _blockSize - offset);
        if (e != FsError.Ok)
        {
            return e;
        }
        return ZeroBytes(file, endWhole * _blockSize, end - endWhole * _blockSize);
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
                var got = AllocateChecked(file, AllocationGoal(file, b + done), run.Length - done);
                file.Extents!.Insert(new Extent(b + done, got.Start, got.Length, Unwritten: true));
                done += got.Length;
            }
            b += run.Length;
        }
    }

    /// <summary>SEEK_DATA / SEEK_HOLE. Unwritten blocks count as holes, as on ext4 and XFS; before 0 or past EOF is NoData (ENXIO, as iomap_seek_data).</summary>
    public FsError Seek(long ino, long offset, SeekWhence whence, out long result)
    {
        result = 0;
        if (offset < 0)
        {
            return FsError.NoData;
        }
        lock (_lock)
        {
            try
            {
                var e = TryGetRegular(ino, out var file);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (offset >= file.Size)
                {
                    return FsError.NoData;
                }
                long endBlock = (file.Size + _blockSize - 1) / _blockSize;
                long b = offset / _blockSize;
                while (b < endBlock)
                {
                    bool found = file.Extents!.TryFind(b, endBlock - b, out var ext, out long hole);
                    bool data = found && !ext.Unwritten;
                    long run = found ? Math.Min(endBlock - b, ext.LogicalEnd - b) : hole;
                    if (data == (whence == SeekWhence.Data))
                    {
                        result = Math.Max(offset, b * _blockSize);
                        if (whence == SeekWhence.Hole)
                        {
                            result = Math.Min(result, file.Size);
                        }
                        return FsError.Ok;
                    }
                    b += run;
                }
                if (whence == SeekWhence.Hole)
                {
                    result = file.Size;
                    return FsError.Ok;
                }
                return FsError.NoData;
            }
            catch (Exception e) when (Fault(e, "seek"))
            {
                return FsError.Io;
            }
        }
    }
}
