using System.Globalization;
using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Two directories whose names every worker renames, links and unlinks at once, so no one can predict
/// the outcome; what must hold is checked instead. A fixed set of inodes races: files, each with a
/// second name in an "anchor" directory no worker touches (so a lost file is a bug, not a race
/// outcome), and directories, each holding a file (so renaming one over another is NotEmpty and none
/// can vanish). Invariants: every racing inode is still there; a file's link count is one plus the
/// names it has in the two directories; a directory has exactly one name (in one place); the two
/// directories' link counts count the directories in them; no name is listed twice; nothing else
/// appears. Each worker also sets an xattr of its own on racing inodes, and its last value must stick.
/// </summary>
internal sealed class SharedNamespaceRace
{
    private const int RacingFiles = 4;
    private const int RacingDirectories = 2;
    private static readonly string[] Names = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"];
    private static readonly RenameFlags[] Flags = [RenameFlags.None, RenameFlags.NoReplace, RenameFlags.Exchange];

    private readonly long[] _dirs;
    private readonly long _anchor;
    private readonly long[] _files;
    private readonly long[] _directories;
    /// <summary>Per worker (each touches only its own): the last value it set on each racing inode.</summary>
    private readonly Dictionary<long, byte[]>[] _lastXattr;

    private SharedNamespaceRace(long[] dirs, long anchor, long[] files, long[] directories, int workers)
    {
        _dirs = dirs;
        _anchor = anchor;
        _files = files;
        _directories = directories;
        _lastXattr = Enumerable.Range(0, workers).Select(_ => new Dictionary<long, byte[]>()).ToArray();
    }

    private IEnumerable<long> Racing => _files.Concat(_directories);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public static SharedNamespaceRace Create(FileSystem fs, int workers)
    {
        long[] dirs = [NewNode.Directory(fs, FileSystem.RootIno, "race0"), NewNode.Directory(fs, FileSystem.RootIno, "race1")];
        long anchor = NewNode.Directory(fs, FileSystem.RootIno, "anchor");
        var files = new long[RacingFiles];
        for (int i = 0; i < files.Length; i++)
        {
            files[i] = NewNode.RegularFile(fs, anchor, Inv($"r{i}"));
            EngineAnswer.Ok(fs.Link(files[i], dirs[0], Names[i], out _), Inv($"link r{i} into race0"));
        }
        var directories = new long[RacingDirectories];
        for (int i = 0; i < directories.Length; i++)
        {
            directories[i] = NewNode.Directory(fs, dirs[1], Names[i]);
            NewNode.RegularFile(fs, directories[i], "keep");
        }
        return new SharedNamespaceRace(dirs, anchor, files, directories, workers);
    }

    /// <summary>One random racing call, said to <paramref name="doing"/> before it is made; returns what it did and the answer, for the worker's trace.</summary>
    public string Step(FileSystem fs, Random rng, int worker, Action<string> doing)
    {
        long dir = _dirs[rng.Next(_dirs.Length)], other = _dirs[rng.Next(_dirs.Length)];
        string name = Names[rng.Next(Names.Length)], newName = Names[rng.Next(Names.Length)];
        string where = Inv($"race{Array.IndexOf(_dirs, dir)}/{name}"), there = Inv($"race{Array.IndexOf(_dirs, other)}/{newName}");
        switch (rng.Next(10))
        {
            case < 4:
                {
                    var flags = Flags[rng.Next(Flags.Length)];
                    string what = $"race: rename {where} -> {there} ({flags})";
                    doing(what);
                    var e = EngineAnswer.OneOf(fs.Rename(dir, name, other, newName, flags), what,
                        FsError.Ok, FsError.NotFound, FsError.Exists, FsError.IsDirectory, FsError.NotDirectory, FsError.NotEmpty);
                    return $"{what} = {e}";
                }
            case < 6:
                {
                    string what = $"race: link {where} as {there}";
                    doing(what);
                    var e = fs.Lookup(dir, name, out var attr);
                    if (EngineAnswer.OneOf(e, $"race: lookup {where}", FsError.Ok, FsError.NotFound) == FsError.NotFound)
                    {
                        return $"{what} = lookup NotFound";
                    }
                    RequireRacing(attr.Ino, $"lookup {where}");
                    e = EngineAnswer.OneOf(fs.Link(attr.Ino, other, newName, out _), what, FsError.Ok, FsError.Exists, FsError.PermissionDenied);
                    if ((e == FsError.PermissionDenied) != attr.IsDirectory)
                    {
                        throw new ModelDivergenceException(Inv($"{what}: ino {attr.Ino} (a {(attr.IsDirectory ? "directory" : "file")}) answered {e}"));
                    }
                    return $"{what} = {e}";
                }
            case < 8:
                {
                    string what = $"race: unlink {where}";
                    doing(what);
                    var e = EngineAnswer.OneOf(fs.Unlink(dir, name), what, FsError.Ok, FsError.NotFound, FsError.IsDirectory);
                    return $"{what} = {e}";
                }
            case 8:
                {
                    doing($"race: lookup {where}");
                    var e = EngineAnswer.OneOf(fs.Lookup(dir, name, out var attr), $"race: lookup {where}", FsError.Ok, FsError.NotFound);
                    if (e == FsError.Ok)
                    {
                        RequireRacing(attr.Ino, $"lookup {where}");
                        // Not 2: a name found, then an unlink by another worker before the attributes are read, is a fair outcome.
                        if (attr.Nlink < 1)
                        {
                            throw new ModelDivergenceException(Inv($"race: {where} (ino {attr.Ino}) has nlink 0; a racing inode always keeps a name"));
                        }
                    }
                    return $"race: lookup {where} = {e}";
                }
            default:
                {
                    var all = Racing.ToList();
                    long ino = all[rng.Next(all.Count)];
                    var value = ModelData.Generate(rng.Next(1, int.MaxValue), rng.Next(1, 100));
                    string what = Inv($"race: setxattr user.w{worker} on ino {ino}");
                    doing(what);
                    EngineAnswer.Ok(fs.SetXattr(ino, Inv($"user.w{worker}"), value, XattrFlags.None), what);
                    _lastXattr[worker][ino] = value;
                    return what;
                }
        }
    }

    private void RequireRacing(long ino, string what)
    {
        if (!Racing.Contains(ino))
        {
            throw new ModelDivergenceException(Inv($"race: {what} found ino {ino}, which is not one of the racing inodes"));
        }
    }

    /// <summary>Every invariant, with the workers stopped. After a power cut the xattrs' last values may not have been committed, so they are not compared.</summary>
    public void Verify(FileSystem fs, bool xattrs)
    {
        var problems = new List<string>();
        var places = Racing.ToDictionary(ino => ino, _ => new List<string>());
        var directoriesIn = new int[_dirs.Length];
        for (int d = 0; d < _dirs.Length; d++)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int index = d;
            EngineAnswer.Ok(fs.ReadDirectory(_dirs[d], 0, e =>
            {
                string place = Inv($"race{index}/{e.Name}");
                if (!seen.Add(e.Name))
                {
                    problems.Add($"{place} is listed twice");
                }
                if (places.TryGetValue(e.Ino, out var list))
                {
                    list.Add(place);
                }
                else
                {
                    problems.Add(Inv($"{place} names ino {e.Ino}, not a racing inode"));
                }
                if (_directories.Contains(e.Ino))
                {
                    directoriesIn[index]++;
                }
                return true;
            }), Inv($"readdir race{d}"));
        }
        foreach (long ino in _files)
        {
            if (fs.GetAttributes(ino, out var attr) != FsError.Ok)
            {
                problems.Add(Inv($"racing file ino {ino} is lost"));
                continue;
            }
            uint expected = 1 + (uint)places[ino].Count;
            if (attr.Nlink != expected)
            {
                problems.Add(Inv($"racing file ino {ino} has nlink {attr.Nlink}, but it has the anchor name and {places[ino].Count} in the race: [{string.Join(", ", places[ino])}]"));
            }
        }
        for (int i = 0; i < _files.Length; i++)
        {
            if (fs.Lookup(_anchor, Inv($"r{i}"), out var anchored) != FsError.Ok || anchored.Ino != _files[i])
            {
                problems.Add(Inv($"anchor/r{i} no longer names ino {_files[i]}"));
            }
        }
        foreach (long ino in _directories)
        {
            if (places[ino].Count != 1)
            {
                problems.Add(Inv($"racing directory ino {ino} has {places[ino].Count} names, not one: [{string.Join(", ", places[ino])}]"));
            }
            if (fs.GetAttributes(ino, out var attr) != FsError.Ok)
            {
                problems.Add(Inv($"racing directory ino {ino} is lost"));
            }
            else if (attr.Nlink != 2)
            {
                problems.Add(Inv($"racing directory ino {ino} has nlink {attr.Nlink}, not 2 (it holds no directory)"));
            }
            if (fs.Lookup(ino, "keep", out _) != FsError.Ok)
            {
                problems.Add(Inv($"racing directory ino {ino} lost its file \"keep\""));
            }
        }
        for (int d = 0; d < _dirs.Length; d++)
        {
            EngineAnswer.Ok(fs.GetAttributes(_dirs[d], out var attr), Inv($"getattr race{d}"));
            if (attr.Nlink != 2 + (uint)directoriesIn[d])
            {
                problems.Add(Inv($"race{d} has nlink {attr.Nlink} but holds {directoriesIn[d]} directories"));
            }
        }
        if (xattrs)
        {
            for (int worker = 0; worker < _lastXattr.Length; worker++)
            {
                foreach (var (ino, value) in _lastXattr[worker])
                {
                    var e = fs.GetXattr(ino, Inv($"user.w{worker}"), out var actual);
                    if (e != FsError.Ok || !actual.AsSpan().SequenceEqual(value))
                    {
                        problems.Add(Inv($"xattr user.w{worker} of ino {ino} ({e}) is not the last value worker {worker} set"));
                    }
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new ModelDivergenceException("the shared race directories break their invariants:\n  " + string.Join("\n  ", problems));
        }
    }
}
