namespace WinReflink.Core.Cache;

/// <summary>Which blocks of a dirty window write-back sends to the store, and so in how many writes.</summary>
internal sealed partial class ExtentCache
{
    /// <summary>
    /// The widest gap of clean blocks between two dirty runs of a window that write-back fills in
    /// rather than splitting the write there: on an unbuffered data file each write is a device
    /// request (on a VM a trap to the host, tens of microseconds), while 32 KiB more of one request
    /// costs a few. Random 4 KiB writes leave windows with several lone dirty blocks apart.
    /// </summary>
    private const int MaxFilledGapBlocks = 8;

    /// <summary>
    /// The window's dirty blocks plus each gap between two of its dirty runs that is at most
    /// <see cref="MaxFilledGapBlocks"/> wide and wholly valid. Writing such a gap changes nothing in the
    /// store: a valid block that is not dirty holds the store's bytes (it was loaded from there, or
    /// written there and not written since), and a block being loaded is not valid. Call under
    /// <c>_gate</c>; the caller treats the gap blocks as written (InFlight) like the dirty ones, so a
    /// write to one while the copy is on its way stays dirty.
    /// </summary>
    private static ulong WriteMask(CacheEntry entry)
    {
        ulong dirty = entry.Dirty;
        ulong runs = dirty;
        if (!NextRun(ref runs, out _, out int previousLast))
        {
            return 0;
        }
        ulong mask = dirty;
        while (NextRun(ref runs, out int first, out int last))
        {
            if (first - previousLast - 1 <= MaxFilledGapBlocks)
            {
                ulong gap = RangeMask(previousLast + 1, first - 1);
                if ((gap & ~entry.Valid) == 0)
                {
                    mask |= gap;
                }
            }
            previousLast = last;
        }
        return mask;
    }
}
