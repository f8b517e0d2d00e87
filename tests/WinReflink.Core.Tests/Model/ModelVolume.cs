using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The model's namespace and nodes, and what each namespace call must answer: the POSIX rules for
/// create, link, unlink, rmdir and rename (NOREPLACE, EXCHANGE, hard links to one inode, case
/// variants of one name on a case-insensitive volume), written out plainly so the engine's answer
/// can be compared with them. A call that fails changes nothing.
/// </summary>
internal sealed class ModelVolume
{
    public const int RootId = 0;

    private readonly SortedDictionary<int, ModelNode> _nodes = new();

    /// <param name="rootIno">The inode the model's root stands for: the volume's root, or a directory a harness on a shared volume owns.</param>
    public ModelVolume(bool caseSensitive, long rootIno = FileSystem.RootIno)
    {
        CaseSensitive = caseSensitive;
        RootIno = rootIno;
        _nodes.Add(RootId, new ModelDirectory(RootId, rootIno, RootId));
    }

    public long RootIno { get; }

    public bool CaseSensitive { get; }
    public IEnumerable<ModelNode> Nodes => _nodes.Values;
    public IEnumerable<ModelFile> Files => _nodes.Values.OfType<ModelFile>();
    public IEnumerable<ModelDirectory> Directories => _nodes.Values.OfType<ModelDirectory>();

    /// <summary>The lookup key of a name: the engine's documented folding (invariant upper case) on a case-insensitive volume.</summary>
    public string Key(string name) => CaseSensitive ? name : name.ToUpperInvariant();

    public ModelNode? TryGet(int id) => _nodes.GetValueOrDefault(id);

    public ModelVolume Clone()
    {
        var copy = new ModelVolume(CaseSensitive, RootIno);
        copy._nodes.Clear();
        foreach (var (id, node) in _nodes)
        {
            copy._nodes.Add(id, node.Clone());
        }
        return copy;
    }

    /// <summary>The names naming a node, as (directory, stored spelling), in a fixed order.</summary>
    public List<(ModelDirectory Dir, string Name)> Links(int id)
    {
        var links = new List<(ModelDirectory, string)>();
        foreach (var d in Directories)
        {
            foreach (var entry in d.Entries.Values.Where(e => e.Node == id).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                links.Add((d, entry.Name));
            }
        }
        return links;
    }

    /// <summary>The link count the engine must report: names for files and symlinks; 2 plus subdirectories for a directory.</summary>
    public uint ExpectedNlink(ModelNode node)
    {
        if (node is ModelDirectory d)
        {
            return 2 + (uint)d.Entries.Values.Count(e => _nodes[e.Node] is ModelDirectory);
        }
        return (uint)Links(node.Id).Count;
    }

    public void Add(ModelDirectory dir, string name, ModelNode node)
    {
        _nodes.Add(node.Id, node);
        dir.Entries.Add(Key(name), new ModelEntry(name, node.Id));
    }

    public FsError CanAddName(ModelDirectory dir, string name) => dir.Entries.ContainsKey(Key(name)) ? FsError.Exists : FsError.Ok;

    /// <summary>Link: directories refuse; an orphan (no name left) is NotFound; an existing name Exists.</summary>
    public FsError CanLink(ModelNode node, ModelDirectory dir, string name)
    {
        if (node is ModelDirectory)
        {
            return FsError.PermissionDenied;
        }
        if (Links(node.Id).Count == 0)
        {
            return FsError.NotFound;
        }
        return CanAddName(dir, name);
    }

    public void Link(ModelNode node, ModelDirectory dir, string name) => dir.Entries.Add(Key(name), new ModelEntry(name, node.Id));

    /// <summary>Unlink (directory false) or rmdir (true) of a name.</summary>
    public FsError CanRemove(ModelDirectory dir, string name, bool directory)
    {
        if (!dir.Entries.TryGetValue(Key(name), out var entry))
        {
            return FsError.NotFound;
        }
        var node = _nodes[entry.Node];
        if (directory && node is not ModelDirectory)
        {
            return FsError.NotDirectory;
        }
        if (!directory && node is ModelDirectory)
        {
            return FsError.IsDirectory;
        }
        if (node is ModelDirectory { Entries.Count: > 0 })
        {
            return FsError.NotEmpty;
        }
        return FsError.Ok;
    }

    /// <summary>Removes a name; returns the nodes that are gone (reclaimed now, not kept as open orphans).</summary>
    public List<ModelNode> Remove(ModelDirectory dir, string name)
    {
        string key = Key(name);
        var entry = dir.Entries[key];
        dir.Entries.Remove(key);
        return DropLink(_nodes[entry.Node]);
    }

    private List<ModelNode> DropLink(ModelNode node)
    {
        if (node is ModelDirectory || (Links(node.Id).Count == 0 && node is not ModelFile { OpenCount: > 0 }))
        {
            _nodes.Remove(node.Id);
            return [node];
        }
        return [];
    }

    /// <summary>The last handle of a file closed: an orphan is reclaimed.</summary>
    public bool ReleasedLast(ModelFile f)
    {
        if (f.OpenCount == 0 && Links(f.Id).Count == 0)
        {
            _nodes.Remove(f.Id);
            return true;
        }
        return false;
    }

    /// <summary>A remount or power cut: no handle survives, so orphans are reclaimed. Returns them.</summary>
    public List<ModelFile> ForgetHandles()
    {
        var gone = new List<ModelFile>();
        foreach (var f in Files.ToList())
        {
            f.OpenCount = 0;
            if (Links(f.Id).Count == 0)
            {
                _nodes.Remove(f.Id);
                gone.Add(f);
            }
        }
        return gone;
    }

    /// <summary>Whether directory <paramref name="id"/> is <paramref name="dir"/> or one of its ancestors.</summary>
    private bool IsSelfOrAncestor(int id, ModelDirectory dir)
    {
        var d = dir;
        while (true)
        {
            if (d.Id == id)
            {
                return true;
            }
            if (d.Id == RootId)
            {
                return false;
            }
            d = (ModelDirectory)_nodes[d.ParentId];
        }
    }

    /// <summary>
    /// renameat2 as the engine documents it, checks in the engine's order. Returns the answer and, when
    /// it is Ok, the change to apply once the engine agreed.
    /// </summary>
    public (FsError Error, Func<List<ModelNode>>? Apply) Rename(ModelDirectory from, string name, ModelDirectory to, string newName, RenameFlags flags)
    {
        if ((flags & RenameFlags.NoReplace) != 0 && (flags & RenameFlags.Exchange) != 0)
        {
            return (FsError.InvalidArgument, null);
        }
        string key = Key(name), newKey = Key(newName);
        if (!from.Entries.TryGetValue(key, out var source))
        {
            return (FsError.NotFound, null);
        }
        var node = _nodes[source.Node];
        bool targetExists = to.Entries.TryGetValue(newKey, out var target);
        // As Linux's do_renameat2: an exchange with no target is ENOENT before any ancestry check.
        if ((flags & RenameFlags.Exchange) != 0 && !targetExists)
        {
            return (FsError.NotFound, null);
        }
        if (node is ModelDirectory && IsSelfOrAncestor(node.Id, to))
        {
            return (FsError.InvalidArgument, null);
        }
        if ((flags & RenameFlags.Exchange) != 0)
        {
            var other = _nodes[target.Node];
            if (other is ModelDirectory && IsSelfOrAncestor(other.Id, from))
            {
                return (FsError.InvalidArgument, null);
            }
            if (from == to && key == newKey)
            {
                // One entry under two spellings: exchanging it with itself changes nothing.
                return (FsError.Ok, () => []);
            }
            return (FsError.Ok, () =>
            {
                from.Entries[key] = source with { Node = other.Id };
                to.Entries[newKey] = target with { Node = node.Id };
                if (node is ModelDirectory nd)
                {
                    nd.ParentId = to.Id;
                }
                if (other is ModelDirectory od)
                {
                    od.ParentId = from.Id;
                }
                return [];
            });
        }
        if (targetExists && target.Node == node.Id)
        {
            if (from == to && key == newKey && source.Name != newName)
            {
                return (FsError.Ok, () =>
                {
                    from.Entries[key] = new ModelEntry(newName, node.Id);
                    return [];
                });
            }
            return ((flags & RenameFlags.NoReplace) != 0 ? FsError.Exists : FsError.Ok, () => []);
        }
        if (targetExists)
        {
            if ((flags & RenameFlags.NoReplace) != 0)
            {
                return (FsError.Exists, null);
            }
            var victim = _nodes[target.Node];
            if (node is ModelDirectory && victim is not ModelDirectory)
            {
                return (FsError.NotDirectory, null);
            }
            if (node is not ModelDirectory && victim is ModelDirectory)
            {
                return (FsError.IsDirectory, null);
            }
            if (victim is ModelDirectory { Entries.Count: > 0 })
            {
                return (FsError.NotEmpty, null);
            }
        }
        return (FsError.Ok, () =>
        {
            var gone = new List<ModelNode>();
            if (targetExists)
            {
                to.Entries.Remove(newKey);
                gone = DropLink(_nodes[target.Node]);
            }
            from.Entries.Remove(key);
            to.Entries.Add(newKey, new ModelEntry(newName, node.Id));
            if (node is ModelDirectory d)
            {
                d.ParentId = to.Id;
            }
            return gone;
        });
    }
}
