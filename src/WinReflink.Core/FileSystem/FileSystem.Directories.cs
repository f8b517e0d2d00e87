using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

/// <summary>Directory listings, stable while entries are added and renamed: checks, the lock, and the directory's entries by cookie.</summary>
public sealed partial class FileSystem
{
    /// <summary>Entries a listing takes per hold of the directory's lock (and loads the inodes of at once).</summary>
    private const int PageEntries = 256;

    /// <summary>
    /// Where a listing that starts now ends: entries whose cookie is below this value existed when it
    /// started; every entry added later, renamed ones included, lies at or past it. A host takes it when
    /// a listing starts (rewinddir included) and passes it to every <see cref="ReadDirectory"/> of that
    /// listing, so a loop that renames each entry it reads still ends.
    /// </summary>
    public FsError DirectoryListingEnd(long ino, out long endCookie)
    {
        endCookie = 0;
        using (_locks.Inode(ino, write: false))
        {
            var e = _inodes.TryGetDirectory(ino, out var dir);
            if (e == FsError.Ok)
            {
                endCookie = dir.Children!.NextCookie;
            }
            return e;
        }
    }

    /// <summary>
    /// Lists entries after <paramref name="cookie"/> (0 = from the start) and before <paramref name="endCookie"/>
    /// until the visitor returns false. "." and ".." are the host's to add.
    /// </summary>
    public FsError ReadDirectory(long ino, long cookie, Func<DirectoryEntry, bool> visitor, long endCookie = long.MaxValue)
    {
        // Batches are taken under the lock and handed out without it, so a visitor may call back in.
        var batch = new List<DirectoryEntry>(PageEntries);
        while (true)
        {
            batch.Clear();
            using (_locks.Inode(ino, write: false))
            {
                var e = _inodes.TryGetDirectory(ino, out var dir);
                if (e != FsError.Ok)
                {
                    return e;
                }
                var page = dir.Children!.After(cookie, endCookie).Take(PageEntries).ToList();
                // Each entry's type comes from its inode: the page's inodes load in batches.
                _inodes.Preload(page.ConvertAll(r => r.Ino));
                foreach (var r in page)
                {
                    uint mode = _inodes.TryGet(r.Ino, out var child) == FsError.Ok ? child.Mode : 0;
                    batch.Add(new DirectoryEntry(r.Name, r.Ino, mode, r.Cookie));
                }
            }
            foreach (var entry in batch)
            {
                if (!visitor(entry))
                {
                    return FsError.Ok;
                }
            }
            if (batch.Count < PageEntries)
            {
                return FsError.Ok;
            }
            cookie = batch[^1].Cookie;
        }
    }
}
