using System.Buffers;
using Microsoft.Extensions.Logging;
using WinReflink.Core.Cache;
using WinReflink.Core.Data;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;
using WinReflink.Core.Storage;

namespace WinReflink.Core;

/// <summary>The data calls: checks, the lock, and the data path (<see cref="Data.DataPath"/>).</summary>
public sealed partial class FileSystem
{

    /// <summary>
    /// Reads as if under the volume lock throughout, but blocks the cache lacks are read from the store
    /// without it: each pass resolves the file and copies from the cache under the lock
    /// (<see cref="ReadPass"/>); when blocks were missing, it loads them with the lock released
    /// (<see cref="LoadUnlocked"/>) and the next pass resolves the file again, so a write, truncate,
    /// punch or clone meanwhile is seen, and the bytes returned come from one pass under the lock.
    /// </summary>
    public FsError Read(long ino, long offset, Span<byte> buffer, out int bytesRead)
    {
        bytesRead = 0;
        if (offset < 0)
        {
            return FsError.InvalidArgument;
        }
        for (int pass = 0; ; pass++)
        {
            var load = pass < DataPath.UnlockedLoadPasses ? new ReadLoad(firstAttempt: pass == 0) : null;
            var e = ReadPass(ino, offset, buffer, load, touchAccessTime: true, out bytesRead);
            if (load == null || load.IsEmpty)
            {
                return e;
            }
            e = LoadUnlocked(ino, offset, buffer.Length, load);
            if (e != FsError.Ok)
            {
                return e;
            }
        }
    }

    /// <summary>
    /// One pass of a read under the file's lock, shared, with the volume lock shared. On return either the bytes are in the buffer (or the
    /// read failed) and <paramref name="load"/> is null or empty, or <paramref name="load"/> holds the
    /// blocks to load before the next pass, which its caller must then load.
    /// </summary>
    private FsError ReadPass(long ino, long offset, Span<byte> buffer, ReadLoad? load, bool touchAccessTime, out int bytesRead)
    {
        bytesRead = 0;
        using (_locks.Inode(ino, write: false))
        {
            try
            {
                if (_disposed)
                {
                    // Closed while this read loaded without the lock.
                    return FsError.Io;
                }
                var e = _inodes.TryGetRegular(ino, out var file);
                if (e != FsError.Ok)
                {
                    return e;
                }
                if (offset >= file.Size || buffer.Length == 0)
                {
                    return FsError.Ok;
                }
                int n = (int)Math.Min(buffer.Length, file.Size - offset);
                _data.Read(file, offset, buffer[..n], load);
                if (load is { IsEmpty: false })
                {
                    return FsError.Ok;
                }
                bytesRead = n;
                if (touchAccessTime)
                {
                    UpdateAccessTime(file);
                }
                return FsError.Ok;
            }
            catch (BlockReadException e)
            {
                AbandonLoad(load);
                // Clean blocks the host could not read: this read fails, nothing is lost, the volume
                // carries on. A write-back that fails while the read evicts a window is an ordinary
                // IOException and stops the volume below.
                LogReadFailure(e, ino, offset, buffer.Length);
                return FsError.Io;
            }
            catch (Exception e) when (_health.Fault(e, "read"))
            {
                AbandonLoad(load);
                return FsError.Io;
            }
            catch
            {
                AbandonLoad(load);
                throw;
            }
        }
    }

    private void AbandonLoad(ReadLoad? load)
    {
        if (load is { IsEmpty: false })
        {
            _cache.Abandon(load);
        }
    }

    /// <summary>Loads a read's missing blocks into the cache without the volume lock, so other calls go on meanwhile.</summary>
    private FsError LoadUnlocked(long ino, long offset, int length, ReadLoad load)
    {
        try
        {
            _cache.Load(load);
            return FsError.Ok;
        }
        catch (BlockReadException e)
        {
            LogReadFailure(e, ino, offset, length);
            return FsError.Io;
        }
        catch (Exception e)
        {
            using (_locks.Exclusive())
            {
                if (_health.Fault(e, "read"))
                {
                    return FsError.Io;
                }
            }
            throw;
        }
    }

    private void LogReadFailure(BlockReadException e, long ino, long offset, int length)
    {
        _logger.LogError(e.InnerException, "Read of inode {Ino} at offset {Offset} ({Length} bytes) failed: physical block {Block} (+{Blocks}) of {Volume}'s data file could not be read",
            ino, offset, length, e.Block, e.Blocks, _volume.Layout.Folder);
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

    /// <summary>
    /// Writes bytes; with <paramref name="killSuidSgid"/> (a write by someone other than root) clears
    /// set-ID bits. Runs under the file's own lock with the volume lock shared, so writes to other
    /// files and reads go on; a write whose blocks are not plainly free (it may need a commit to free
    /// them, or NoSpace) runs again with the volume lock exclusive, having changed nothing.
    /// </summary>
    public FsError Write(long ino, long offset, ReadOnlySpan<byte> data, out int written, bool killSuidSgid = false)
    {
        written = 0;
        if (offset < 0)
        {
            return FsError.InvalidArgument;
        }
        LoadPartialBlocks(ino, offset, data.Length);
        using (_locks.Inode(ino, write: true))
        {
            var e = WriteLocked(ino, offset, data, killSuidSgid, shared: true, out written, out bool exclusiveNeeded);
            if (!exclusiveNeeded)
            {
                return e;
            }
        }
        using (_locks.Exclusive())
        {
            return WriteLocked(ino, offset, data, killSuidSgid, shared: false, out written, out _);
        }
    }

    /// <summary>
    /// Before a write: brings the partial first and last blocks it covers into the cache through the
    /// read path, which reads the store outside every lock, so the write does not read them from disk
    /// under the cache's lock (that read would hold up every caller of the cache). Best effort and
    /// invisible: no readahead, no access time; whatever it answers, the write goes on and reads
    /// itself what is still missing (the block evicted meanwhile, a failed read).
    /// </summary>
    private void LoadPartialBlocks(long ino, long offset, int length)
    {
        long end = offset + length;
        bool head = offset % _blockSize != 0, tail = end % _blockSize != 0;
        if (length == 0 || offset > MaxFileSize - length || !(head || tail))
        {
            return;
        }
        long first = offset / _blockSize, last = (end - 1) / _blockSize;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(_blockSize);
        try
        {
            if (head)
            {
                LoadBlock(ino, first, scratch);
            }
            if (tail && !(head && last == first))
            {
                LoadBlock(ino, last, scratch);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void LoadBlock(long ino, long block, byte[] scratch)
    {
        // Not a first attempt: the file's readahead window and read-around stay the reads' own.
        var load = new ReadLoad(firstAttempt: false);
        var e = ReadPass(ino, block * _blockSize, scratch.AsSpan(0, _blockSize), load, touchAccessTime: false, out _);
        if (e == FsError.Ok && !load.IsEmpty)
        {
            LoadUnlocked(ino, block * _blockSize, _blockSize, load);
        }
    }

    private FsError WriteLocked(long ino, long offset, ReadOnlySpan<byte> data, bool killSuidSgid, bool shared, out int written, out bool exclusiveNeeded)
    {
        written = 0;
        exclusiveNeeded = false;
        try
        {
            var e = WritableRegular(ino, out var file);
            if (e == FsError.Ok)
            {
                e = FlagRules.CheckDataWritable(file, offset);
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
            e = _data.Write(file, offset, data, shared, out exclusiveNeeded);
            if (e != FsError.Ok || exclusiveNeeded)
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
        catch (Exception e) when (_health.Fault(e, "write"))
        {
            return FsError.Io;
        }
    }

    /// <summary>
    /// fallocate; with <paramref name="killSuidSgid"/> (a caller other than root) clears set-ID bits as a
    /// write does, once the allocation succeeded. Runs under the file's lock with the volume lock
    /// shared; when its blocks are not plainly free it runs again with the volume lock exclusive, as a
    /// write does, having changed nothing.
    /// </summary>
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
        using (_locks.Inode(ino, write: true))
        {
            var e = AllocateLocked(ino, offset, length, mode, killSuidSgid, shared: true, out bool exclusiveNeeded);
            if (!exclusiveNeeded)
            {
                return e;
            }
        }
        using (_locks.Exclusive())
        {
            return AllocateLocked(ino, offset, length, mode, killSuidSgid, shared: false, out _);
        }
    }

    private FsError AllocateLocked(long ino, long offset, long length, AllocateMode mode, bool killSuidSgid, bool shared, out bool exclusiveNeeded)
    {
        exclusiveNeeded = false;
        try
        {
            var e = WritableRegular(ino, out var file);
            if (e == FsError.Ok)
            {
                e = FlagRules.CheckAllocatable(file, mode);
            }
            if (e != FsError.Ok)
            {
                return e;
            }
            e = _data.Fallocate(file, offset, length, mode, shared, out exclusiveNeeded);
            if (e == FsError.Ok && !exclusiveNeeded && killSuidSgid)
            {
                KillSuidSgid(file);
                Changed(file);
            }
            return e;
        }
        catch (Exception e) when (_health.Fault(e, "fallocate"))
        {
            return FsError.Io;
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
        using (_locks.Inode(ino, write: false))
        {
            try
            {
                var e = _inodes.TryGetRegular(ino, out var file);
                return e != FsError.Ok ? e : _data.Seek(file, offset, whence, out result);
            }
            catch (Exception e) when (_health.Fault(e, "seek"))
            {
                return FsError.Io;
            }
        }
    }
}
