namespace WinReflink.Core.Extents;

/// <summary>
/// Extent maps as the last durable commit stored them (meta.db, read through
/// <see cref="Metadata.InodeLoader"/>'s read-only connection), for maps loaded when first used.
/// Thread-safe; each call is one range query on the extents table's key (ino, logical).
/// </summary>
internal interface IStoredExtents
{
    /// <summary>
    /// Gives every stored extent of <paramref name="ino"/> to <paramref name="row"/>, in logical order.
    /// Throws <see cref="Errors.CorruptionException"/> when a row is damaged, for the caller's guard to stop the volume.
    /// </summary>
    void Read(long ino, Action<long, ExtentValue> row);
}
