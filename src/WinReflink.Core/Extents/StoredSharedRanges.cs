namespace WinReflink.Core.Extents;

/// <summary>
/// The shared table as the last durable commit left it, read by physical range (issue 11): what
/// <see cref="RefcountTable"/> pages its rows from. Implementations throw
/// <see cref="Errors.CorruptionException"/> for a row that cannot be trusted (a checksum that does
/// not match, a length or count out of range), for the caller's guard to stop the volume.
/// </summary>
internal interface IStoredSharedRanges
{
    /// <summary>Adds the stored rows whose start lies in [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="rows"/>, ascending.</summary>
    void Read(long from, long to, List<(long Start, SharedRange Range)> rows);

    /// <summary>The stored row with the greatest start below <paramref name="block"/>, if there is one.</summary>
    bool TryLastBefore(long block, out long start, out SharedRange range);
}
