namespace WinReflink.Core.Cache;

/// <summary>
/// Dirty blocks on their way to the data file outside every lock: the gathered writes (physical
/// block, the window slices to write there) and the windows they came from with the blocks taken
/// (their InFlight mask). Built under the cache's lock, written without it, landed under it again.
/// </summary>
internal sealed class WriteBatch
{
    public List<(long Block, List<ReadOnlyMemory<byte>> Pieces)> Runs { get; } = new();
    public List<(CacheEntry Entry, ulong Mask)> Entries { get; } = new();
}
