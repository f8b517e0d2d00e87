using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// Namespace operations on engine and model (<see cref="ModelVolume"/> says what each must answer),
/// extended attributes, and the namespace comparison run after every step: every directory's listing
/// (stored spellings and inode numbers), link counts, node types, symlink targets and xattrs.
/// </summary>
internal sealed partial class ModelHarness
{
    private const uint DirectoryMode = 0x41ED;

    /// <summary>How often each namespace call got each answer, to show a run reached the cases it means to.</summary>
    public SortedDictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

    private void Tally(string call, FsError expected)
    {
        string key = $"{call}: {expected}";
        Outcomes[key] = Outcomes.GetValueOrDefault(key) + 1;
    }

    private ModelDirectory Dir(int id)
    {
        return _model.TryGet(id) as ModelDirectory ?? throw new InvalidTraceException($"directory {id} does not exist in the model");
    }

    private ModelNode Node(int id)
    {
        return _model.TryGet(id) ?? throw new InvalidTraceException($"node {id} does not exist in the model");
    }

    private void NewId(int id)
    {
        if (_model.TryGet(id) != null)
        {
            throw new InvalidTraceException($"node {id} exists already");
        }
    }

    /// <summary>Creates regular file <paramref name="id"/> as <paramref name="name"/> in directory <paramref name="dir"/>.</summary>
    public void Create(int id, int dir, string name)
    {
        NewId(id);
        var d = Dir(dir);
        var expected = _model.CanAddName(d, name);
        var e = _fs.Create(d.Ino, name, new CreateRequest(RegularFile, 0, 0), out var attr);
        Expect(e, expected, Inv($"create {name} in d{dir}"));
        Tally("create", expected);
        if (e == FsError.Ok)
        {
            var f = new ModelFile(id, attr.Ino);
            _model.Add(d, name, f);
            Modified(f);
        }
        AfterStep();
    }

    public void Mkdir(int id, int dir, string name)
    {
        NewId(id);
        var d = Dir(dir);
        var expected = _model.CanAddName(d, name);
        var e = _fs.Mkdir(d.Ino, name, new CreateRequest(DirectoryMode, 0, 0), out var attr);
        Expect(e, expected, Inv($"mkdir {name} in d{dir}"));
        Tally("mkdir", expected);
        if (e == FsError.Ok)
        {
            _model.Add(d, name, new ModelDirectory(id, attr.Ino, dir));
        }
        AfterStep();
    }

    public void Symlink(int id, int dir, string name, string target)
    {
        NewId(id);
        var d = Dir(dir);
        var expected = _model.CanAddName(d, name);
        var e = _fs.Symlink(d.Ino, name, target, new CreateRequest(0, 0, 0), out var attr);
        Expect(e, expected, Inv($"symlink {name} -> {target} in d{dir}"));
        Tally("symlink", expected);
        if (e == FsError.Ok)
        {
            _model.Add(d, name, new ModelSymlink(id, attr.Ino, target));
        }
        AfterStep();
    }

    /// <summary>A hard link to node <paramref name="id"/> (a file, symlink, or a directory the engine must refuse).</summary>
    public void Link(int id, int dir, string name)
    {
        var node = Node(id);
        var d = Dir(dir);
        var expected = _model.CanLink(node, d, name);
        Expect(_fs.Link(node.Ino, d.Ino, name, out _), expected, Inv($"link of node {id} as {name} in d{dir}"));
        Tally("link", expected);
        if (expected == FsError.Ok)
        {
            _model.Link(node, d, name);
        }
        AfterStep();
    }

    /// <summary>Unlinks a name of any kind (a directory's answer is IsDirectory); an open file lives on as an orphan.</summary>
    public void Unlink(int dir, string name) => Remove(dir, name, directory: false);

    public void Rmdir(int dir, string name) => Remove(dir, name, directory: true);

    private void Remove(int dir, string name, bool directory)
    {
        var d = Dir(dir);
        var expected = _model.CanRemove(d, name, directory);
        var e = directory ? _fs.Rmdir(d.Ino, name) : _fs.Unlink(d.Ino, name);
        Expect(e, expected, Inv($"{(directory ? "rmdir" : "unlink")} {name} in d{dir}"));
        Tally(directory ? "rmdir" : d.Entries.TryGetValue(_model.Key(name), out var entry) && _model.TryGet(entry.Node) is ModelFile { OpenCount: > 0 } ? "unlink of an open file" : "unlink", expected);
        if (e == FsError.Ok)
        {
            foreach (var gone in _model.Remove(d, name))
            {
                Gone(gone);
            }
            Expect(_fs.Lookup(d.Ino, name, out _), FsError.NotFound, Inv($"lookup of removed {name} in d{dir}"));
        }
        AfterStep();
    }

    public void Rename(int dir, string name, int newDir, string newName, RenameFlags flags)
    {
        var from = Dir(dir);
        var to = Dir(newDir);
        var (expected, apply) = _model.Rename(from, name, to, newName, flags);
        string shape = from != to ? "across directories" : _model.Key(name) == _model.Key(newName) ? (name == newName ? "onto itself" : "case variant") : "within a directory";
        Tally($"rename {shape} ({flags})", expected);
        Expect(_fs.Rename(from.Ino, name, to.Ino, newName, flags), expected, Inv($"rename {name} in d{dir} to {newName} in d{newDir} ({flags})"));
        if (expected == FsError.Ok)
        {
            foreach (var gone in apply!())
            {
                Gone(gone);
            }
        }
        AfterStep();
    }

    public void SetXattr(int id, string name, int length, int dataSeed, XattrFlags flags)
    {
        var node = Node(id);
        var value = ModelData.Generate(dataSeed, length);
        bool exists = node.Xattrs.ContainsKey(name);
        var expected = length > FileSystem.MaxXattrValueBytes ? FsError.AttributeTooLarge
            : (flags & XattrFlags.Create) != 0 && exists ? FsError.Exists
            : (flags & XattrFlags.Replace) != 0 && !exists ? FsError.NoAttribute
            : FsError.Ok;
        Expect(_fs.SetXattr(node.Ino, name, value, flags), expected, Inv($"setxattr {name} ({length} bytes, {flags}) on node {id}"));
        Tally($"setxattr ({flags})", expected);
        if (expected == FsError.Ok)
        {
            node.Xattrs[name] = value;
        }
        AfterStep();
    }

    public void RemoveXattr(int id, string name)
    {
        var node = Node(id);
        var expected = node.Xattrs.Remove(name) ? FsError.Ok : FsError.NoAttribute;
        Expect(_fs.RemoveXattr(node.Ino, name), expected, Inv($"removexattr {name} on node {id}"));
        Tally("removexattr", expected);
        AfterStep();
    }

    private void CompareNamespace()
    {
        foreach (var d in _model.Directories)
        {
            var listed = new Dictionary<string, DirectoryEntry>(StringComparer.Ordinal);
            Expect(_fs.ReadDirectory(d.Ino, 0, e =>
            {
                if (!listed.TryAdd(e.Name, e))
                {
                    throw new ModelDivergenceException(Inv($"d{d.Id} lists {e.Name} twice"));
                }
                return true;
            }), FsError.Ok, Inv($"readdir d{d.Id}"));
            var expected = d.Entries.Values.Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
            if (!listed.Keys.Order(StringComparer.Ordinal).SequenceEqual(expected))
            {
                throw new ModelDivergenceException(Inv($"d{d.Id} (ino {d.Ino}) lists [{string.Join(", ", listed.Keys.Order(StringComparer.Ordinal))}], the model has [{string.Join(", ", expected)}]"));
            }
            foreach (var entry in d.Entries.Values)
            {
                var node = _model.TryGet(entry.Node)!;
                if (listed[entry.Name].Ino != node.Ino)
                {
                    throw new ModelDivergenceException(Inv($"{entry.Name} in d{d.Id} lists ino {listed[entry.Name].Ino}, the model's node {node.Id} is ino {node.Ino}"));
                }
            }
        }
        foreach (var node in _model.Nodes)
        {
            CompareNode(node);
        }
    }

    private void CompareNode(ModelNode node)
    {
        Expect(_fs.GetAttributes(node.Ino, out var attr), FsError.Ok, Inv($"getattr of node {node.Id} (ino {node.Ino})"));
        bool typeMatches = node switch
        {
            ModelDirectory => PosixMode.IsDirectory(attr.Mode),
            ModelSymlink => PosixMode.IsSymlink(attr.Mode),
            _ => PosixMode.IsRegular(attr.Mode),
        };
        if (!typeMatches)
        {
            throw new ModelDivergenceException(Inv($"node {node.Id} (ino {node.Ino}) is a {node.GetType().Name} in the model, mode 0{Convert.ToString(attr.Mode, 8)} in the engine"));
        }
        uint nlink = _model.ExpectedNlink(node);
        if (attr.Nlink != nlink)
        {
            throw new ModelDivergenceException(Inv($"node {node.Id} (ino {node.Ino}) has nlink {attr.Nlink}, the model expects {nlink}"));
        }
        if (node is ModelSymlink link)
        {
            Expect(_fs.ReadLink(node.Ino, out string target), FsError.Ok, Inv($"readlink of s{node.Id}"));
            if (target != link.Target || attr.Size != System.Text.Encoding.UTF8.GetByteCount(link.Target))
            {
                throw new ModelDivergenceException(Inv($"symlink {node.Id} reads {target} of size {attr.Size}, the model has {link.Target}"));
            }
        }
        Expect(_fs.ListXattrs(node.Ino, out var names), FsError.Ok, Inv($"listxattr of node {node.Id}"));
        if (!names.SequenceEqual(node.Xattrs.Keys))
        {
            throw new ModelDivergenceException(Inv($"node {node.Id} lists xattrs [{string.Join(", ", names)}], the model has [{string.Join(", ", node.Xattrs.Keys)}]"));
        }
        foreach (var (name, value) in node.Xattrs)
        {
            Expect(_fs.GetXattr(node.Ino, name, out var actual), FsError.Ok, Inv($"getxattr {name} of node {node.Id}"));
            if (!actual.AsSpan().SequenceEqual(value))
            {
                throw new ModelDivergenceException(Inv($"xattr {name} of node {node.Id} holds {actual.Length} bytes that differ from the model's {value.Length}"));
            }
        }
    }
}
