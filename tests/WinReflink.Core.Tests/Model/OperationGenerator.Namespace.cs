using System.Globalization;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// Namespace and xattr operations, and the fsync-then-append pattern. Names come from a small pool
/// with case variants ("a", "A", "ä", "Ä"...), so on a case-insensitive volume creates collide, renames
/// change a name's spelling, and renames land on existing names (replace, NOREPLACE, EXCHANGE).
/// </summary>
internal sealed partial class OperationGenerator
{
    private const int MaxOtherNodes = 10;

    private static readonly string[] NamePool = ["a", "A", "b", "B", "ab", "aB", "Ab", "x1", "X1", "ä", "Ä", "straße", "STRASSE"];
    private static readonly string[] XattrNames = ["user.a", "user.b", "user.B", "trusted.t"];

    private readonly bool _namespace;
    private int _nextName;

    private static string Lit(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A name from the pool (case variants of one another), a case variant of a given one, or a fresh one.</summary>
    private string Name(string? variantOf = null)
    {
        if (variantOf != null && _rng.Next(2) == 0)
        {
            string flipped = new(variantOf.Select(c => _rng.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray());
            return flipped;
        }
        return _rng.Next(4) == 0 ? "n" + (_nextName++).ToString(CultureInfo.InvariantCulture) : NamePool[_rng.Next(NamePool.Length)];
    }

    private static int[] Ids(params int[] ids) => ids.Where(i => i != ModelVolume.RootId).Distinct().ToArray();

    private ModelOp CreateIn(ModelHarness h)
    {
        int id = _nextId++;
        var dirs = h.Directories;
        int dir = dirs[_rng.Next(dirs.Count)].Id;
        string name = Name();
        return new ModelOp(Inv($"h.Create({id}, {dir}, {Lit(name)});"), Ids(id, dir), x => x.Create(id, dir, name));
    }

    private ModelOp? NamespaceOp(OpKind kind, ModelHarness h)
    {
        var dirs = h.Directories;
        var nodes = h.Nodes;
        var entries = h.Entries;
        int dir = dirs[_rng.Next(dirs.Count)].Id;
        int others = nodes.Count(n => n is not ModelFile);
        switch (kind)
        {
            case OpKind.Mkdir when others < MaxOtherNodes:
                {
                    int id = _nextId++;
                    string name = Name();
                    return new ModelOp(Inv($"h.Mkdir({id}, {dir}, {Lit(name)});"), Ids(id, dir), x => x.Mkdir(id, dir, name));
                }
            case OpKind.Symlink when others < MaxOtherNodes:
                {
                    int id = _nextId++;
                    string name = Name();
                    string target = _rng.Next(2) == 0 ? Name() : "../" + Name() + "/" + new string('t', _rng.Next(1, 300));
                    return new ModelOp(Inv($"h.Symlink({id}, {dir}, {Lit(name)}, {Lit(target)});"), Ids(id, dir), x => x.Symlink(id, dir, name, target));
                }
            case OpKind.Rmdir when entries.Count > 0:
                {
                    var (d, name) = PickEntry(h, entries, preferDirectories: true);
                    return new ModelOp(Inv($"h.Rmdir({d}, {Lit(name)});"), Ids(d), x => x.Rmdir(d, name));
                }
            case OpKind.UnlinkName when entries.Count > 0:
                {
                    var (d, name) = PickEntry(h, entries, preferDirectories: false);
                    return new ModelOp(Inv($"h.Unlink({d}, {Lit(name)});"), Ids(d), x => x.Unlink(d, name));
                }
            case OpKind.Link when nodes.Count > 0:
                {
                    var node = nodes[_rng.Next(nodes.Count)];
                    int id = node.Id;
                    string name = Name();
                    return new ModelOp(Inv($"h.Link({id}, {dir}, {Lit(name)});"), Ids(id, dir), x => x.Link(id, dir, name));
                }
            case OpKind.Rename when entries.Count > 0:
                return Rename(h, entries, dirs);
            case OpKind.SetXattr:
                {
                    var all = dirs.Cast<ModelNode>().Concat(nodes).ToList();
                    int id = all[_rng.Next(all.Count)].Id;
                    string name = XattrNames[_rng.Next(XattrNames.Length)];
                    int length = _rng.Next(20) switch
                    {
                        0 => 0,
                        1 => FileSystem.MaxXattrValueBytes + _rng.Next(2),
                        _ => _rng.Next(1, 300),
                    };
                    int dataSeed = _rng.Next(1, int.MaxValue);
                    var flags = (XattrFlags)_rng.Next(3);
                    return new ModelOp(Inv($"h.SetXattr({id}, {Lit(name)}, {length}, {dataSeed}, XattrFlags.{flags});"), Ids(id), x => x.SetXattr(id, name, length, dataSeed, flags));
                }
            case OpKind.RemoveXattr:
                {
                    var all = dirs.Cast<ModelNode>().Concat(nodes).ToList();
                    int id = all[_rng.Next(all.Count)].Id;
                    string name = XattrNames[_rng.Next(XattrNames.Length)];
                    return new ModelOp(Inv($"h.RemoveXattr({id}, {Lit(name)});"), Ids(id), x => x.RemoveXattr(id, name));
                }
            default:
                return null;
        }
    }

    /// <summary>A name to remove: mostly an existing one (of the preferred kind when there is one), sometimes a missing one.</summary>
    private (int Dir, string Name) PickEntry(ModelHarness h, IReadOnlyList<(int Dir, string Name)> entries, bool preferDirectories)
    {
        if (_rng.Next(10) == 0)
        {
            var dirs = h.Directories;
            return (dirs[_rng.Next(dirs.Count)].Id, Name());
        }
        var preferred = entries.Where(e => IsDirectoryEntry(h, e) == preferDirectories).ToList();
        var pool = preferred.Count > 0 && _rng.Next(4) != 0 ? preferred : entries;
        var pick = pool[_rng.Next(pool.Count)];
        // The same entry under another spelling, which a case-insensitive volume must find.
        return (pick.Dir, _rng.Next(4) == 0 ? Name(pick.Name) : pick.Name);
    }

    private static bool IsDirectoryEntry(ModelHarness h, (int Dir, string Name) e)
    {
        var dir = (ModelDirectory)h.TryGet(e.Dir)!;
        return dir.Entries.Values.Any(x => x.Name == e.Name && h.TryGet(x.Node) is ModelDirectory);
    }

    /// <summary>Rename: plain, NOREPLACE or EXCHANGE; within a directory or across; onto a free name, an existing one, or a case variant of itself.</summary>
    private ModelOp Rename(ModelHarness h, IReadOnlyList<(int Dir, string Name)> entries, IReadOnlyList<ModelDirectory> dirs)
    {
        var (from, name) = PickEntry(h, entries, preferDirectories: _rng.Next(3) == 0);
        int to;
        string newName;
        switch (_rng.Next(4))
        {
            case 0:
                to = from;
                newName = Name(name);
                break;
            case 1:
                (to, newName) = entries[_rng.Next(entries.Count)];
                break;
            default:
                to = dirs[_rng.Next(dirs.Count)].Id;
                newName = Name();
                break;
        }
        var flags = _rng.Next(10) switch
        {
            < 5 => RenameFlags.None,
            < 7 => RenameFlags.NoReplace,
            < 9 => RenameFlags.Exchange,
            _ => RenameFlags.NoReplace | RenameFlags.Exchange,
        };
        string f = flags switch
        {
            RenameFlags.None => "RenameFlags.None",
            RenameFlags.NoReplace => "RenameFlags.NoReplace",
            RenameFlags.Exchange => "RenameFlags.Exchange",
            _ => "RenameFlags.NoReplace | RenameFlags.Exchange",
        };
        return new ModelOp(Inv($"h.Rename({from}, {Lit(name)}, {to}, {Lit(newName)}, {f});"), Ids(from, to), x => x.Rename(from, name, to, newName, flags));
    }

    /// <summary>
    /// The pattern of a write failing halfway on a full volume: fsync a file, append to it, free a block
    /// elsewhere (busy until the next commit), and append again past the first append.
    /// </summary>
    private ModelOp FsyncThenAppend(ModelFile f, IReadOnlyList<ModelFile> files)
    {
        int id = f.Id;
        _followUps.Enqueue(h => Append(h, id, _rng.Next(1, 2 * _bs)));
        if (files.Count > 1 && _rng.Next(2) == 0)
        {
            var other = files[_rng.Next(files.Count)];
            int oid = other.Id;
            _followUps.Enqueue(h => ShrinkByABlock(h, other.Id));
        }
        _followUps.Enqueue(h => Append(h, id, _bs));
        return new ModelOp(Inv($"h.Fsync({id});"), [id], x => x.Fsync(id));
    }

    private ModelOp ShrinkByABlock(ModelHarness h, int id)
    {
        if (h.TryGet(id) is not ModelFile f)
        {
            return new ModelOp("h.Check();", [], x => x.Check());
        }
        long size = Math.Max(0, f.Size - _bs);
        return new ModelOp(Inv($"h.Truncate({id}, {size});"), [id], x => x.Truncate(id, size));
    }

    private ModelOp Append(ModelHarness h, int id, int length)
    {
        long offset = h.TryGet(id) is ModelFile f ? f.Size + (_rng.Next(3) == 0 ? _rng.Next(1, _bs) : 0) : MaxFileBytes;
        if (offset + length > MaxFileBytes)
        {
            return new ModelOp("h.Check();", [], x => x.Check());
        }
        int dataSeed = _rng.Next(1, int.MaxValue);
        return new ModelOp(Inv($"h.Write({id}, {offset}, {length}, {dataSeed});"), [id], x => x.Write(id, offset, length, dataSeed));
    }
}
