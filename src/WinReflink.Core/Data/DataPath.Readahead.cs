using WinReflink.Core.Cache;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Data;

internal sealed partial class DataPath
{
    /// <summary>
    /// After the first pass of a read: moves the file's readahead window and, when the read is
    /// sequential and missed, adds the window's blocks past the read to <paramref name="load"/>
    /// (holes and unwritten blocks have nothing to load). Stops where the cache declines, so
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
}
