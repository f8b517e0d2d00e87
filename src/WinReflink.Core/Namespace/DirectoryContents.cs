using WinReflink.Core.Collections;

namespace WinReflink.Core.Namespace;

/// <summary>
/// One name in a directory. <see cref="Key"/> is the lookup form (case-folded on case-insensitive
/// volumes); <see cref="Type"/> is the file type of the inode it names (<see cref="EntryType"/>), kept
/// with the name so that a listing needs no inode.
/// </summary>
internal sealed record DirectoryRecord(string Name, string Key, long Ino, long Cookie, long Type);

/// <summary>
/// The entries of one directory, by lookup key and by cookie. Cookies grow monotonically per directory,
/// so a readdir resumed from a cookie neither repeats nor skips an entry that stayed put, whatever
/// was added or removed meanwhile. A name that exists throughout a change (the target of a rename
/// that replaces it, both names of an exchange, a case-only rename) keeps its cookie, and a name a
/// rename adds takes a cookie at or past <see cref="NextCookie"/>: a listing that stops at the
/// NextCookie it saw when it started sees every name that stayed and ends even if each entry it
/// reads is renamed (btrfs's "infinite directory read").
/// Two modes. Complete (a full load, or no meta.db behind it): every entry is in memory. Paged (issue
/// 11, <see cref="Page"/>): meta.db holds the entries; memory holds those looked up lately (and names
/// known absent), and every key changed since the last durable commit, whose in-memory state overrides
/// the stored row (the same invariant as <see cref="Metadata.VolumeState"/>'s: anything else, the
/// stored row is current). A lookup that misses asks meta.db by (parent, key); a listing reads stored
/// pages in cookie order merged with the changed entries. Readers of one directory run at once under
/// its lock shared, so the cache has a lock of its own; changes come under the directory's lock
/// exclusive, the commit's capture and finish and the eviction scan under the volume lock exclusive.
/// </summary>
internal sealed class DirectoryContents
{
    /// <summary>Stored rows a listing reads per query.</summary>
    private const int StoredPageRows = 256;

    private readonly Lock _gate = new();
    /// <summary>Complete: every entry. Paged: entries cached from meta.db (null: known absent) and every changed key (null: removed).</summary>
    private readonly Dictionary<string, DirectoryRecord?> _byKey = new(StringComparer.Ordinal);
    /// <summary>Complete: every entry. Paged: the present entries of changed keys, which override meta.db in listings.</summary>
    private readonly OrderedMap<DirectoryRecord> _byCookie = new();
    /// <summary>Keys changed since the last capture; null between commits, so a directory at rest pays nothing for it.</summary>
    private HashSet<string>? _changedKeys;
    /// <summary>Keys changed in the capture being written: they override meta.db until it is durable (<see cref="Committed"/>).</summary>
    private HashSet<string>? _committingKeys;
    /// <summary>Null in complete mode.</summary>
    private IStoredDirents? _stored;
    private long _ino;
    /// <summary>Told how many entries a lookup added to the cache, so the metadata budget sees them (<see cref="InodeEviction"/>).</summary>
    private Action<int>? _cached;

    public long NextCookie = 1;

    /// <summary>
    /// Puts the directory in paged mode: its stored entries are read from <paramref name="stored"/> when
    /// needed. Call before the directory is published (no other thread sees it yet).
    /// </summary>
    public void Page(IStoredDirents stored, long ino, Action<int> cached)
    {
        _stored = stored;
        _ino = ino;
        _cached = cached;
    }

    /// <summary>Entries in memory, cached or changed, without reading any: what the directory costs now (eviction's estimate).</summary>
    public int LoadedCount => _byKey.Count;

    /// <summary>
    /// Every entry (for `check` and repair). Complete: as loaded, even entries whose cookies a damaged
    /// volume repeats or made non-positive, which the listing by cookie cannot hold; paged: in cookie order, read from meta.db.
    /// </summary>
    public IEnumerable<DirectoryRecord> Records => _stored == null ? _byKey.Values.Select(r => r!) : After(0);

    /// <summary>How many entries (paged: counts the stored rows; for `check`).</summary>
    public int Count => _stored == null ? _byKey.Count : Records.Count();

    /// <summary>Whether the directory has no entry: one short query at most, merged with the changes not yet durable.</summary>
    public bool IsEmpty => !After(0).Any();

    public bool TryGet(string key, out DirectoryRecord record)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue(key, out var found) && _stored != null)
            {
                found = _stored.Find(_ino, key);
                _byKey[key] = found;
                _cached?.Invoke(1);
            }
            record = found!;
            return found != null;
        }
    }

    /// <summary>An entry of the full load (complete mode).</summary>
    public void Load(DirectoryRecord record)
    {
        if (!ReferenceEquals(record.Key, record.Name) && record.Key == record.Name)
        {
            record = record with { Key = record.Name };
        }
        _byKey[record.Key] = record;
        _byCookie.Set(record.Cookie, record);
        NextCookie = Math.Max(NextCookie, record.Cookie + 1);
    }

    /// <summary>Adds a name of an inode of type <paramref name="type"/> (<see cref="EntryType"/>); the caller found it absent (<see cref="TryGet"/>) under the directory's lock.</summary>
    public DirectoryRecord Add(string name, string key, long ino, long type)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var existing) && existing != null)
            {
                throw new ArgumentException($"an entry with the key '{key}' exists", nameof(key));
            }
            // A name that is its own key (any name on a case-sensitive volume) is held once, not twice.
            var record = new DirectoryRecord(name, key == name ? name : key, ino, NextCookie++, type);
            Set(key, record);
            return record;
        }
    }

    /// <summary>Points an existing name at another inode (of type <paramref name="type"/>), or respells it, keeping its cookie (its place in a listing).</summary>
    public DirectoryRecord Replace(string key, string name, long ino, long type)
    {
        if (!TryGet(key, out var old))
        {
            throw new KeyNotFoundException($"no entry with the key '{key}'");
        }
        lock (_gate)
        {
            var record = new DirectoryRecord(name, key == name ? name : key, ino, old.Cookie, type);
            Set(key, record);
            return record;
        }
    }

    public void Remove(string key)
    {
        if (!TryGet(key, out var record))
        {
            return;
        }
        lock (_gate)
        {
            // On a damaged volume (a full load for repair) another entry may hold the same cookie.
            if (_byCookie.TryGetValue(record.Cookie, out var holder) && ReferenceEquals(holder, record))
            {
                _byCookie.Remove(record.Cookie);
            }
            if (_stored == null)
            {
                _byKey.Remove(key);
            }
            else
            {
                _byKey[key] = null;
            }
            Changed(key);
        }
    }

    /// <summary>A changed key's new entry. Call under <see cref="_gate"/>.</summary>
    private void Set(string key, DirectoryRecord record)
    {
        _byKey[key] = record;
        _byCookie.Set(record.Cookie, record);
        Changed(key);
    }

    private void Changed(string key) => (_changedKeys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);

    /// <summary>Whether the key's in-memory state overrides meta.db. Call under <see cref="_gate"/>.</summary>
    private bool Overrides(string key) => _changedKeys?.Contains(key) == true || _committingKeys?.Contains(key) == true;

    /// <summary>
    /// Entries after the cookie and before <paramref name="endCookie"/>, in cookie order. Paged: stored
    /// rows (but those of changed keys) merged with the changed entries, each side read a page at a time.
    /// </summary>
    public IEnumerable<DirectoryRecord> After(long cookie, long endCookie = long.MaxValue)
    {
        var stored = new List<DirectoryRecord>();
        var changed = new List<DirectoryRecord>();
        int s = 0, c = 0;
        long storedAfter = cookie, changedAfter = cookie;
        bool storedEnd = _stored == null, changedEnd = false;
        while (true)
        {
            if (s == stored.Count && !storedEnd)
            {
                (storedEnd, storedAfter) = StoredPage(stored, storedAfter, endCookie);
                s = 0;
                continue;
            }
            if (c == changed.Count && !changedEnd)
            {
                (changedEnd, changedAfter) = ChangedPage(changed, changedAfter, endCookie);
                c = 0;
                continue;
            }
            bool haveStored = s < stored.Count, haveChanged = c < changed.Count;
            if (!haveStored && !haveChanged)
            {
                yield break;
            }
            if (haveStored && (!haveChanged || stored[s].Cookie < changed[c].Cookie))
            {
                yield return stored[s++];
            }
            else
            {
                yield return changed[c++];
            }
        }
    }

    /// <summary>Fills <paramref name="page"/> with the next stored rows past <paramref name="after"/> whose keys did not change; returns whether the stored side has ended and where the next page starts.</summary>
    private (bool End, long After) StoredPage(List<DirectoryRecord> page, long after, long endCookie)
    {
        page.Clear();
        var rows = _stored!.After(_ino, after, StoredPageRows);
        lock (_gate)
        {
            foreach (var row in rows)
            {
                if (row.Cookie >= endCookie)
                {
                    return (true, after);
                }
                if (!Overrides(row.Key))
                {
                    page.Add(row);
                }
            }
        }
        return (rows.Count < StoredPageRows, rows.Count > 0 ? rows[^1].Cookie : after);
    }

    /// <summary>Fills <paramref name="page"/> with the next in-memory entries past <paramref name="after"/>; returns whether they have ended and where the next page starts.</summary>
    private (bool End, long After) ChangedPage(List<DirectoryRecord> page, long after, long endCookie)
    {
        page.Clear();
        lock (_gate)
        {
            foreach (var (_, record) in _byCookie.Range(after + 1, endCookie))
            {
                page.Add(record);
                if (page.Count == StoredPageRows)
                {
                    break;
                }
            }
        }
        return (page.Count < StoredPageRows, page.Count > 0 ? page[^1].Cookie : after);
    }

    /// <summary>
    /// The commit's capture: hands it each key changed since the last capture with its entry (null:
    /// removed). Those keys keep overriding meta.db until <see cref="Committed"/>. Called under the volume lock exclusively.
    /// </summary>
    public void DrainChanges(Action<string, DirectoryRecord?> apply)
    {
        if (_changedKeys == null)
        {
            return;
        }
        foreach (string key in _changedKeys)
        {
            apply(key, _byKey.TryGetValue(key, out var r) ? r : null);
        }
        if (_committingKeys == null)
        {
            _committingKeys = _changedKeys;
        }
        else
        {
            _committingKeys.UnionWith(_changedKeys);
        }
        _changedKeys = null;
    }

    /// <summary>
    /// The captured changes are durable: meta.db's rows are now current for the keys not changed again
    /// since, which become clean cached entries (evictable). Called under the volume lock exclusively.
    /// </summary>
    public void Committed()
    {
        if (_committingKeys == null)
        {
            return;
        }
        if (_stored != null)
        {
            foreach (string key in _committingKeys)
            {
                if (_changedKeys?.Contains(key) != true && _byKey.TryGetValue(key, out var record) && record != null)
                {
                    _byCookie.Remove(record.Cookie);
                }
            }
        }
        _committingKeys = null;
    }

    /// <summary>
    /// Drops the cached entries meta.db holds as they are (paged mode; every key not changed since the
    /// last durable commit). Returns how many. Called under the volume lock exclusively (the eviction scan).
    /// </summary>
    public int DropClean()
    {
        if (_stored == null || _byKey.Count == 0)
        {
            return 0;
        }
        int before = _byKey.Count;
        if (_changedKeys == null && _committingKeys == null)
        {
            _byKey.Clear();
            return before;
        }
        foreach (string key in _byKey.Keys)
        {
            if (!Overrides(key))
            {
                _byKey.Remove(key);
            }
        }
        return before - _byKey.Count;
    }
}
