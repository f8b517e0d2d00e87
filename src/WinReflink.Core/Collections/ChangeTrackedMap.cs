namespace WinReflink.Core.Collections;

/// <summary>
/// An <see cref="OrderedMap{TValue}"/> that remembers which keys changed since the last commit, so
/// the metadata store writes O(changes) rows per transaction instead of rewriting whole tables.
/// </summary>
internal sealed class ChangeTrackedMap<TValue>
{
    private readonly OrderedMap<TValue> _map = new();
    private readonly HashSet<long> _touched = new();

    public OrderedMap<TValue> Map => _map;
    public int Count => _map.Count;
    public bool HasChanges => _touched.Count > 0;

    public void Set(long key, TValue value)
    {
        _map.Set(key, value);
        _touched.Add(key);
    }

    public bool Remove(long key)
    {
        if (_map.Remove(key))
        {
            _touched.Add(key);
            return true;
        }
        return false;
    }

    /// <summary>Loads a committed entry without marking it changed.</summary>
    public void Load(long key, TValue value) => _map.Set(key, value);

    /// <summary>Every changed key once: present ones with their value, removed ones with present = false.</summary>
    public void DrainChanges(Action<long, bool, TValue> apply)
    {
        foreach (long key in _touched)
        {
            bool present = _map.TryGetValue(key, out var value);
            apply(key, present, value);
        }
        _touched.Clear();
    }

    /// <summary>Marks every entry changed (used when a whole object is deleted and its rows must go).</summary>
    public void TouchAll()
    {
        foreach (var kv in _map.All())
        {
            _touched.Add(kv.Key);
        }
    }

    public void ForgetChanges() => _touched.Clear();
}
