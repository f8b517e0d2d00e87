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
    /// until the visitor returns false. "." and ".." are the host's to add. Each entry carries its
    /// inode's whole mode: the page's inodes load in batches, which a host that asks for every entry's
    /// attributes next (READDIRPLUS, WinFsp) needs anyway.
    /// </summary>
    public FsError ReadDirectory(long ino, long cookie, Func<DirectoryEntry, bool> visitor, long endCookie = long.MaxValue) =>
        ReadDirectory(ino, cookie, visitor, endCookie, wholeModes: true);

    /// <summary>
    /// Lists as <see cref="ReadDirectory(long, long, Func{DirectoryEntry, bool}, long)"/> does, but each
    /// entry's <see cref="DirectoryEntry.Mode"/> holds its file type alone (permission bits zero), which
    /// the entry keeps (format version 6): no inode loads, so a plain FUSE READDIR (all `find` and `ls -f`
    /// ask for) costs the directory's rows and nothing per file. Only an entry of an older volume opened
    /// read-only, which keeps no type, has its inode loaded.
    /// </summary>
    public FsError ReadDirectoryNames(long ino, long cookie, Func<DirectoryEntry, bool> visitor, long endCookie = long.MaxValue) =>
        ReadDirectory(ino, cookie, visitor, endCookie, wholeModes: false);

    private FsError ReadDirectory(long ino, long cookie, Func<DirectoryEntry, bool> visitor, long endCookie, bool wholeModes)
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
                var fromInodes = wholeModes ? page : page.FindAll(r => !EntryType.IsKnown(r.Type));
                if (fromInodes.Count > 0)
                {
                    _inodes.Preload(fromInodes.ConvertAll(r => r.Ino));
                }
                foreach (var r in page)
                {
                    batch.Add(new DirectoryEntry(r.Name, r.Ino, EntryMode(r, wholeModes), r.Cookie));
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

    /// <summary>The entry's mode: its inode's whole, or its type alone (from the entry when it keeps one); 0 when the inode is gone. Call under the directory's lock.</summary>
    private uint EntryMode(DirectoryRecord r, bool wholeModes)
    {
        if (!wholeModes && EntryType.IsKnown(r.Type))
        {
            return EntryType.Mode(r.Type);
        }
        if (_inodes.TryGet(r.Ino, out var child) != FsError.Ok)
        {
            return 0;
        }
        return wholeModes ? child.Mode : child.Mode & PosixMode.TypeMask;
    }
}
