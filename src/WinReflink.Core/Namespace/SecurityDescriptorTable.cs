using System.Security.Cryptography;

namespace WinReflink.Core.Namespace;

/// <summary>
/// Windows security descriptors stored once per distinct descriptor, as NTFS's $Secure does: inodes
/// hold an id. When every inode is loaded (`check`, repair) the table counts each descriptor's users
/// and drops one when its last user goes; when inodes load on demand it cannot, so a descriptor stays
/// until a repair collects it (NTFS's $Secure likewise keeps entries until chkdsk). Creations,
/// reclaims and descriptor changes of different inodes run at once, so every call takes the table's lock.
/// </summary>
internal sealed class SecurityDescriptorTable
{
    private readonly bool _countsUsers;

    public SecurityDescriptorTable(bool countsUsers)
    {
        _countsUsers = countsUsers;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<long, byte[]> _byId = new();
    private readonly Dictionary<string, long> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _users = new();
    private readonly HashSet<long> _changed = new();
    private long _nextId = 1;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    public bool HasChanges
    {
        get
        {
            lock (_gate)
            {
                return _changed.Count > 0;
            }
        }
    }

    public void Load(long id, byte[] descriptor)
    {
        lock (_gate)
        {
            _byId[id] = descriptor;
            _byHash[Hash(descriptor)] = id;
            _nextId = Math.Max(_nextId, id + 1);
        }
    }

    /// <summary>Counts a loaded inode's use of a descriptor.</summary>
    public void LoadUse(long id)
    {
        lock (_gate)
        {
            _users[id] = _users.GetValueOrDefault(id) + 1;
        }
    }

    public bool Exists(long id)
    {
        lock (_gate)
        {
            return _byId.ContainsKey(id);
        }
    }

    public byte[]? Get(long id)
    {
        lock (_gate)
        {
            return id != 0 && _byId.TryGetValue(id, out var d) ? d : null;
        }
    }

    public long Acquire(byte[] descriptor)
    {
        string hash = Hash(descriptor);
        lock (_gate)
        {
            if (!_byHash.TryGetValue(hash, out long id))
            {
                id = _nextId++;
                _byId[id] = (byte[])descriptor.Clone();
                _byHash[hash] = id;
                _changed.Add(id);
            }
            if (_countsUsers)
            {
                _users[id] = _users.GetValueOrDefault(id) + 1;
            }
            return id;
        }
    }

    public void Release(long id)
    {
        lock (_gate)
        {
            if (id == 0 || !_countsUsers || !_users.TryGetValue(id, out int n))
            {
                return;
            }
            if (n > 1)
            {
                _users[id] = n - 1;
                return;
            }
            _users.Remove(id);
            if (_byId.Remove(id, out var d))
            {
                _byHash.Remove(Hash(d));
            }
            _changed.Add(id);
        }
    }

    /// <summary>Deletes a stored descriptor no inode uses (`check --repair`).</summary>
    public void DropUnused(long id)
    {
        lock (_gate)
        {
            if (_users.GetValueOrDefault(id) == 0 && _byId.Remove(id, out var d))
            {
                // A damaged table can hold one descriptor under two ids: the hash keeps naming the other.
                if (_byHash.TryGetValue(Hash(d), out long named) && named == id)
                {
                    _byHash.Remove(Hash(d));
                }
                _changed.Add(id);
            }
        }
    }

    public IReadOnlyList<(long Id, int Users)> Uses()
    {
        lock (_gate)
        {
            return _byId.Keys.Select(id => (id, _users.GetValueOrDefault(id))).ToList();
        }
    }

    public void DrainChanges(Action<long, byte[]?> apply)
    {
        lock (_gate)
        {
            foreach (long id in _changed)
            {
                apply(id, Get(id));
            }
            _changed.Clear();
        }
    }

    private static string Hash(byte[] d) => Convert.ToHexString(SHA256.HashData(d));
}
