namespace WinReflink.Core.Namespace;

/// <summary>
/// Directory entries as the last durable commit stored them (meta.db, read through
/// <see cref="Metadata.InodeLoader"/>'s read-only connection). Thread-safe; each call is one indexed query.
/// </summary>
internal interface IStoredDirents
{
    /// <summary>The stored entry of <paramref name="dir"/> under <paramref name="key"/>, or null.</summary>
    DirectoryRecord? Find(long dir, string key);

    /// <summary>Up to <paramref name="limit"/> stored entries of <paramref name="dir"/> with a cookie past <paramref name="cookie"/>, in cookie order.</summary>
    List<DirectoryRecord> After(long dir, long cookie, int limit);
}
