namespace WinReflink.Core.Collections;

/// <summary>
/// An <see cref="OrderedMap{TValue}"/> that remembers which keys changed since the last commit, so
/// the metadata store writes O(changes) rows per transaction instead of rewriting whole tables.
/// The set of changed keys exists only between a change and the commit that drains it: every file
/// has a map, and an empty set per file would cost more than the file's extents.
/// </summary>
internal sealed class ChangeTrackedMap<TValue>
{
    private readonly OrderedMap<TValue> _map = new();
    private HashSet<long>? _touched;

    public OrderedMap<TValue> Map => _map;
    public int Count => _map.Count;
    public bool HasChanges => _touched is { Count: > 0 };

    public void Set(long key, TValue value)
    {
        _map.Set(key, value);
        Touch(key);
    }

    public bool Remove(long key)
    {
        if (_map.Remove(key))
        {
            Touch(key);
            return true;
        }
        return false;
    }

    private void Touch(long key) => (_touched ??= new HashSet<long>()).Add(key);

    /// <summary>Loads a committed entry without marking it changed.</summary>
    public void Load(long key, TValue value) => _map.Set(key, value);

    /// <summary>Drops a committed entry from memory without marking it changed (it stays as stored; a later <see cref="Load"/> brings it back).</summary>
    public void Unload(long key) => _map.Remove(key);

    /// <summary>Every changed key once: present ones with their value, removed ones with present = false.</summary>
    public void DrainChanges(Action<long, bool, TValue> apply)
    {
        if (_touched == null)
        {
            return;
        }
        foreach (long key in _touched)
        {
            bool present = _map.TryGetValue(key, out var value);
            apply(key, present, value);
        }
        _touched = null;
    }

    /// <summary>Marks every entry changed (used when a whole object is deleted and its rows must go).</summary>
    public void TouchAll()
    {
        foreach (var kv in _map.All())
        {
            Touch(kv.Key);
        }
    }

    public void ForgetChanges() => _touched = null;
}
