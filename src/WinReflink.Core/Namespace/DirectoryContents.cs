using WinReflink.Core.Collections;

namespace WinReflink.Core.Namespace;

/// <summary>One name in a directory. <see cref="Key"/> is the lookup form (case-folded on case-insensitive volumes).</summary>
internal sealed record DirectoryRecord(string Name, string Key, long Ino, long Cookie);

/// <summary>
/// The entries of one directory, by lookup key and by cookie. Cookies grow monotonically per directory,
/// so a readdir resumed from a cookie neither repeats nor skips an entry that stayed put, whatever
/// was added or removed meanwhile. A name that exists throughout a change (the target of a rename
/// that replaces it, both names of an exchange, a case-only rename) keeps its cookie, and a name a
/// rename adds takes a cookie at or past <see cref="NextCookie"/>: a listing that stops at the
/// NextCookie it saw when it started sees every name that stayed and ends even if each entry it
/// reads is renamed (btrfs's "infinite directory read").
/// </summary>
internal sealed class DirectoryContents
{
    private readonly Dictionary<string, DirectoryRecord> _byKey = new(StringComparer.Ordinal);
    private readonly OrderedMap<DirectoryRecord> _byCookie = new();
    /// <summary>Keys changed since the last commit; null between commits, so a directory at rest pays nothing for it.</summary>
    private HashSet<string>? _changedKeys;
    /// <summary>
    /// Reads the stored entries when a directory was loaded without them (issue 11: a listing of its
    /// parent needs its type, not its entries); null once they are here. Readers of one directory run
    /// at once under its lock shared, so the first of them loads under <see cref="_loading"/>.
    /// </summary>
    private Func<IEnumerable<DirectoryRecord>>? _stored;
    private readonly Lock _loading = new();

    public long NextCookie = 1;

    /// <summary>Entries whose rows are read when the directory is first used (a directory loaded from meta.db).</summary>
    public void LoadLater(Func<IEnumerable<DirectoryRecord>> stored) => _stored = stored;

    /// <summary>Entries in memory, without loading any: what the directory costs now (eviction's estimate).</summary>
    public int LoadedCount => Volatile.Read(ref _stored) == null ? _byKey.Count : 0;

    public int Count => Loaded()._byKey.Count;
    public IEnumerable<DirectoryRecord> Records => Loaded()._byKey.Values;

    public bool TryGet(string key, out DirectoryRecord record) => Loaded()._byKey.TryGetValue(key, out record!);

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

    private DirectoryContents Loaded()
    {
        if (Volatile.Read(ref _stored) != null)
        {
            lock (_loading)
            {
                if (_stored is { } stored)
                {
                    foreach (var record in stored())
                    {
                        Load(record);
                    }
                    Volatile.Write(ref _stored, null);
                }
            }
        }
        return this;
    }

    public DirectoryRecord Add(string name, string key, long ino)
    {
        // A name that is its own key (any name on a case-sensitive volume) is held once, not twice.
        var record = new DirectoryRecord(name, key == name ? name : key, ino, NextCookie++);
        Loaded()._byKey.Add(key, record);
        _byCookie.Set(record.Cookie, record);
        ChangedKey(key);
        return record;
    }

    /// <summary>Points an existing name at another inode, or respells it, keeping its cookie (its place in a listing).</summary>
    public DirectoryRecord Replace(string key, string name, long ino)
    {
        var old = Loaded()._byKey[key];
        var record = new DirectoryRecord(name, key == name ? name : key, ino, old.Cookie);
        _byKey[key] = record;
        _byCookie.Set(record.Cookie, record);
        ChangedKey(key);
        return record;
    }

    public void Remove(string key)
    {
        if (Loaded()._byKey.Remove(key, out var record))
        {
            _byCookie.Remove(record.Cookie);
            ChangedKey(key);
        }
    }

    /// <summary>Entries after the cookie and before <paramref name="endCookie"/>, in cookie order.</summary>
    public IEnumerable<DirectoryRecord> After(long cookie, long endCookie = long.MaxValue)
    {
        foreach (var kv in Loaded()._byCookie.Range(cookie + 1, endCookie))
        {
            yield return kv.Value;
        }
    }

    private void ChangedKey(string key) => (_changedKeys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);

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
        _changedKeys = null;
    }
}
