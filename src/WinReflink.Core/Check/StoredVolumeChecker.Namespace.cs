using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Check;

/// <summary>
/// Invariant 3 over the stored namespace. The directories, the entries naming directories and the
/// directories reachable from the root are temporary tables (SQLite keeps them in files past its
/// cache): reachability is a breadth-first search whose frontier is such a table, one level at a
/// time. The entries are then read twice: by directory and cookie (cookies unique per directory) and
/// by the inode they name, merged with the inodes (names, links, parents, reachability).
/// </summary>
internal sealed partial class StoredVolumeChecker
{
    /// <summary>What the entries naming one inode say about it.</summary>
    private readonly record struct Names(int Count, int FromReachable);

    private void BuildDirectoryTables()
    {
        Execute("""
            CREATE TEMP TABLE dirs(ino INTEGER PRIMARY KEY);
            INSERT INTO temp.dirs SELECT ino FROM main.inodes WHERE (mode & 61440) = 16384;
            """);
        if (!_rootIsDirectory)
        {
            return;
        }
        // The entries the load keeps (in a directory) that name a directory: the edges of the tree.
        Execute("""
            CREATE TEMP TABLE edges(parent INTEGER NOT NULL, key TEXT NOT NULL, child INTEGER NOT NULL, PRIMARY KEY(parent, key)) WITHOUT ROWID;
            INSERT INTO temp.edges SELECT d.parent, d.key, d.ino FROM temp.dirs p JOIN main.dirents d ON d.parent = p.ino
                WHERE EXISTS (SELECT 1 FROM temp.dirs c WHERE c.ino = d.ino);
            CREATE TEMP TABLE reach(ino INTEGER PRIMARY KEY);
            CREATE TEMP TABLE frontier(ino INTEGER PRIMARY KEY);
            CREATE TEMP TABLE discovered(ino INTEGER PRIMARY KEY);
            INSERT INTO temp.reach VALUES (1);
            INSERT INTO temp.frontier VALUES (1);
            """);
        while (true)
        {
            Execute("""
                DELETE FROM temp.discovered;
                INSERT OR IGNORE INTO temp.discovered SELECT e.child FROM temp.frontier f JOIN temp.edges e ON e.parent = f.ino
                    WHERE NOT EXISTS (SELECT 1 FROM temp.reach r WHERE r.ino = e.child);
                """);
            if (Scalar("SELECT count(*) FROM temp.discovered") == 0)
            {
                break;
            }
            Execute("""
                INSERT INTO temp.reach SELECT ino FROM temp.discovered;
                DELETE FROM temp.frontier;
                INSERT INTO temp.frontier SELECT ino FROM temp.discovered;
                """);
        }
    }

    /// <summary>
    /// Every entry by directory, cookie and key: its checksum, whether its directory exists (else it
    /// is dangling), and cookies positive and unique in the directory. Of entries sharing a cookie the
    /// first by key keeps it, as the load (which reads them by key) sees it. SQLite sorts only within
    /// each directory, the entries being stored by directory already: the cookie is an expression so
    /// that the planner does not walk the index by (parent, cookie) instead, which looks every entry
    /// up in the table in cookie order, a cache miss each once a directory outgrows SQLite's cache.
    /// </summary>
    private void CheckDirectoryEntries()
    {
        int columns = _typedDirents ? 6 : 5;
        int inDirectory = ExtraColumn(columns);
        using var entries = Open(Select("dirents", StoredRows.DirentColumns(_typedDirents),
            ", parent IN (SELECT ino FROM temp.dirs)", " ORDER BY parent, cookie + 0, key"));
        long lastParent = 0, lastCookie = 0;
        bool any = false;
        for (; entries.HasRow; entries.Next())
        {
            var r = entries.Row;
            Verify(r, "dirents", columns);
            long parent = r.GetInt64(0);
            if (r.GetInt64(inDirectory) == 0)
            {
                Dangling($"directory entry '{r.GetString(2)}' in inode {parent}, which is not a directory");
                continue;
            }
            string name = r.GetString(2);
            r.GetString(1);
            r.GetInt64(3);
            long cookie = r.GetInt64(4);
            if (_typedDirents)
            {
                r.GetInt64(5);
            }
            if (!_rootIsDirectory)
            {
                continue;
            }
            if (cookie < 1 || (any && parent == lastParent && cookie == lastCookie))
            {
                Add(3, $"entry '{name}' has a readdir cookie that is not unique and positive", parent, null, "a cookie no other entry has", $"cookie {cookie}");
            }
            else
            {
                (lastParent, lastCookie, any) = (parent, cookie, true);
            }
        }
    }

    /// <summary>The entries of directories by the inode they name, each with whether its directory is reachable from the root, and its type when stored.</summary>
    private RowCursor OpenNamesByInode() => Open($"""
        SELECT d.ino, d.parent, d.name, d.key, EXISTS (SELECT 1 FROM temp.reach r WHERE r.ino = d.parent){(_typedDirents ? ", d.type" : "")}
        FROM dirents d WHERE EXISTS (SELECT 1 FROM temp.dirs p WHERE p.ino = d.parent) ORDER BY d.ino
        """);

    /// <summary>Per directory, the entries in it naming a directory, by directory.</summary>
    private RowCursor OpenSubdirectoryCounts() => Open("SELECT parent, count(*) FROM temp.edges GROUP BY parent ORDER BY parent");

    private static int SubdirectoryCount(RowCursor counts, long ino)
    {
        for (; counts.HasRow && counts.Key < ino; counts.Next())
        {
        }
        return counts.HasRow && counts.Key == ino ? (int)counts.Row.GetInt64(1) : 0;
    }

    /// <summary>
    /// The entries naming inodes up to this one (all that are left when null): those naming an inode
    /// that does not exist are reported; those naming this one are checked (valid name and key, the
    /// inode's type where the entry keeps one, a directory's parent) and counted.
    /// </summary>
    private Names CheckNamesOf(RowCursor names, InodeRow? inode)
    {
        int count = 0, fromReachable = 0;
        var folding = _settings.Folding;
        for (; names.HasRow && (inode == null || names.Key <= inode.Value.Ino); names.Next())
        {
            var r = names.Row;
            long ino = r.GetInt64(0), parent = r.GetInt64(1);
            string name = r.GetString(2), key = r.GetString(3);
            if (inode is not { } named || ino != named.Ino)
            {
                Add(3, $"entry '{name}' names an inode that does not exist", parent, null, $"inode {ino} alive", "missing");
                continue;
            }
            if (NameRules.Validate(name) != Errors.FsError.Ok || key != folding.Key(name))
            {
                Add(3, $"entry '{name}' has an invalid name or lookup key", parent, null, folding.Key(name), key);
            }
            if (_typedDirents)
            {
                InodeRules.CheckEntryType(name, parent, r.GetInt64(5), named.Mode, Add);
            }
            count++;
            if (named.IsDirectory && named.Parent != parent)
            {
                Add(3, $"directory '{name}' has the wrong parent", ino, null, $"parent {parent}", $"parent {named.Parent}");
            }
            if (r.GetInt64(4) != 0)
            {
                fromReachable++;
            }
        }
        return new Names(count, fromReachable);
    }

    /// <summary>The inode's links (<see cref="InodeRules.CheckLinks"/>) and whether the search from the root reaches it once.</summary>
    private void CheckLinks(InodeRow inode, Names names, int subdirectories, bool orphan)
    {
        InodeRules.CheckLinks(inode.Ino, inode.Mode, inode.Nlink, inode.SymlinkTarget, names.Count, subdirectories, orphan,
            () => Scalar(Inv($"SELECT count(*) FROM dirents WHERE parent = {inode.Ino}")), _nextIno, Add);
        // Breadth-first from the root, a directory is reached once per entry naming it in a reached
        // directory: the first reaches it (the root is reached from the start), the others report it.
        if (inode.IsDirectory)
        {
            int twice = inode.Ino == FileSystem.RootIno ? names.FromReachable : Math.Max(0, names.FromReachable - 1);
            for (int i = 0; i < twice; i++)
            {
                Add(3, "directory reachable twice (a cycle or a hard link to a directory)", inode.Ino, null, "one path from the root", "more than one");
            }
        }
        bool reached = inode.Ino == FileSystem.RootIno || names.FromReachable > 0;
        if (!reached && !orphan)
        {
            Add(3, "inode not reachable from the root", inode.Ino, null, "reachable or an orphan", "detached");
        }
    }
}
