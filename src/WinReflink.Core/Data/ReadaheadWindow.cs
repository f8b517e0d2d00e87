namespace WinReflink.Core.Data;

/// <summary>
/// Sequential read detection for one file, after the kernel's on-demand readahead (mm/readahead.c):
/// a read that starts where the previous one ended, or within it, is sequential (so the kernel's own
/// readahead through a cached mount, which reads ahead of itself, counts too); each
/// sequential read that misses the cache doubles the window, from <see cref="InitialBytes"/> up to the
/// cache's limit, and that much past the read is loaded with it. A read elsewhere resets the window,
/// so random reads load only what they ask for (and the rest of its cache windows, DataPath.ReserveReadAround).
/// Kept in memory only; readers of a file hold its lock shared, so each change is under the window's own lock.
/// </summary>
internal sealed class ReadaheadWindow
{
    public const long InitialBytes = 128 << 10;

    private long _lastStart;
    private long _nextOffset;
    private long _windowBytes;

    /// <summary>Records a read of [offset, offset+length) and answers how many bytes past it to load (0: none).</summary>
    public long Next(long offset, long length, bool missed, long limitBytes)
    {
        bool sequential = offset >= _lastStart && offset <= _nextOffset;
        _lastStart = offset;
        _nextOffset = sequential ? Math.Max(_nextOffset, offset + length) : offset + length;
        if (!sequential)
        {
            _windowBytes = 0;
            return 0;
        }
        if (!missed)
        {
            return 0;
        }
        _windowBytes = Math.Min(limitBytes, _windowBytes == 0 ? InitialBytes : _windowBytes * 2);
        return _windowBytes;
    }
}
