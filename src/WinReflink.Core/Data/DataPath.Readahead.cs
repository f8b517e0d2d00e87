using WinReflink.Core.Cache;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Data;

internal sealed partial class DataPath
{
    /// <summary>
    /// After the first pass of a read: moves the file's readahead window and, when the read is
    /// sequential and missed, adds the window's blocks past the read to <paramref name="load"/>
    /// (holes and unwritten blocks have nothing to load); when it missed and is not sequential, reads
    /// around it instead (<see cref="ReserveReadAround"/>). Stops where the cache declines, so
    /// readahead never evicts dirty or unread readahead data.
    /// </summary>
    private void ReserveReadahead(Inode file, long offset, int length, ReadLoad load)
    {
        // Readers of one file hold its lock shared, so two may get here at once: one window, one at a time.
        if (file.Readahead == null)
        {
            Interlocked.CompareExchange(ref file.Readahead, new ReadaheadWindow(), null);
        }
        var window = file.Readahead;
        long ahead;
        lock (window)
        {
            ahead = window.Next(offset, length, load.Missed, _cache.ReadaheadLimitBytes);
        }
        if (ahead == 0)
        {
            if (load.Missed)
            {
                ReserveReadAround(file, offset, length, load);
            }
            return;
        }
        long from = (offset + length + _blockSize - 1) / _blockSize;
        long to = Math.Min((offset + length + ahead + _blockSize - 1) / _blockSize, (file.Size + _blockSize - 1) / _blockSize);
        for (long b = from; b < to;)
        {
            if (!file.Extents!.TryFind(b, to - b, out var ext, out long hole))
            {
                b += hole;
                continue;
            }
            long n = Math.Min(to - b, ext.LogicalEnd - b);
            if (!ext.Unwritten && !_cache.ReserveAhead(ext.Physical + (b - ext.Logical), n, load))
            {
                return;
            }
            b += n;
        }
    }

    /// <summary>
    /// A read that missed and is not sequential also loads the rest of the cache windows its first and
    /// last blocks lie in, where this file maps them in the same extents (as the kernel's read-around of
    /// a page fault): the window's memory is taken whole anyway, a device reads 64 KiB in about the time
    /// of 4 KiB, and random reads that come back near each other then hit. Only blocks this file maps
    /// written (not unwritten, not holes) are read: a block nobody maps may hold stale bytes, which must
    /// never become valid in the cache.
    /// </summary>
    private void ReserveReadAround(Inode file, long offset, int length, ReadLoad load)
    {
        long first = offset / _blockSize, last = (offset + length - 1) / _blockSize;
        if (file.Extents!.TryFind(first, 1, out var head, out _) && !head.Unwritten)
        {
            long p = head.Physical + (first - head.Logical);
            long before = Math.Min(p % ExtentCache.WindowBlocks, first - head.Logical);
            if (before > 0 && !_cache.ReserveAhead(p - before, before, load))
            {
                return;
            }
        }
        if (file.Extents.TryFind(last, 1, out var tail, out _) && !tail.Unwritten)
        {
            long p = tail.Physical + (last - tail.Logical);
            long eofBlock = (file.Size + _blockSize - 1) / _blockSize - 1;
            long after = Math.Min(ExtentCache.WindowBlocks - 1 - p % ExtentCache.WindowBlocks, Math.Min(tail.LogicalEnd - 1, eofBlock) - last);
            if (after > 0)
            {
                _cache.ReserveAhead(p + 1, after, load);
            }
        }
    }
}
