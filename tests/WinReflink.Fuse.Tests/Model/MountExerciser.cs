using System.Globalization;
using System.IO.MemoryMappedFiles;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Model;

/// <summary>
/// Random system calls on a handful of files of the mount (open, pwrite, pread, ftruncate, unlink,
/// rename, link, copy_file_range, MAP_SHARED stores, fallocate punch/zero/allocate, fsync, remount),
/// each applied to an in-memory model as well and compared with it after every step (contents, size,
/// SEEK_DATA/SEEK_HOLE, names, link counts). Names are used in random case
/// (the volume is case-insensitive). Deterministic for a seed: the same seed and count replay the same
/// operations.
/// </summary>
internal sealed class MountExerciser
{
    private const int MaxOpen = 6;
    private const int MaxOffset = 256 << 10;
    private const int FullCheckEvery = 250;

    private static readonly string[] Names = ["f0", "f1", "f2", "f3", "sub/f4", "sub/f5"];

    private readonly string _root;
    private readonly Random _random;
    private readonly Action _remount;
    private readonly Dictionary<string, ModelFile> _names = new(StringComparer.Ordinal);
    private readonly List<(int Fd, ModelFile File)> _open = new();
    private readonly List<string> _trace = new();
    private int _nextId;
    private int _step;

    public MountExerciser(string root, int seed, Action remount)
    {
        _root = root;
        _random = new Random(seed);
        _remount = remount;
    }

    public IReadOnlyList<string> Trace => _trace;

    /// <summary>The step running (or that failed).</summary>
    public int Step => _step;

    /// <summary>Runs <paramref name="operations"/> steps; throws <see cref="ModelMismatchException"/> (or a PosixException) at the first difference.</summary>
    public void Run(int operations, ISet<int> remountAt)
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        try
        {
            for (_step = 0; _step < operations; _step++)
            {
                if (remountAt.Contains(_step))
                {
                    Remount();
                }
                else
                {
                    RandomOperation();
                }
                if (_step % FullCheckEvery == FullCheckEvery - 1)
                {
                    CheckEverything();
                }
            }
            _step = operations - 1;
            CheckEverything();
        }
        finally
        {
            CloseAll();
        }
    }

    private void RandomOperation()
    {
        int pick = _random.Next(100);
        switch (pick)
        {
            case < 20: PWrite(); break;
            case < 33: PRead(); break;
            case < 42: Open(); break;
            case < 48: Close(); break;
            case < 54: Truncate(); break;
            case < 64: CopyFileRange(); break;
            case < 70: MmapWrite(); break;
            case < 73: Punch(); break;
            case < 76: Fallocate(); break;
            case < 82: Unlink(); break;
            case < 90: Rename(); break;
            case < 94: Link(); break;
            default: Fsync(); break;
        }
    }

    private string Spelling(string name)
    {
        return _random.Next(4) switch
        {
            0 => name.ToUpperInvariant(),
            1 => string.Concat(name.Select(c => _random.Next(2) == 0 ? char.ToUpperInvariant(c) : c)),
            _ => name,
        };
    }

    private string PathOf(string spelling) => Path.Combine(_root, spelling);

    private string RandomName() => Names[_random.Next(Names.Length)];

    private void Log(string op) => _trace.Add($"step {_step}: {op}");

    private (int Fd, ModelFile File)? RandomOpen() => _open.Count == 0 ? null : _open[_random.Next(_open.Count)];

    private int RandomLength() => _random.Next(4) == 0 ? _random.Next(1, 200) : _random.Next(1, 64 << 10);

    private void Open()
    {
        if (_open.Count >= MaxOpen)
        {
            Close();
            return;
        }
        string name = RandomName(), spelling = Spelling(name);
        bool truncate = _random.Next(10) == 0;
        Log($"open {spelling} O_RDWR|O_CREAT{(truncate ? "|O_TRUNC" : "")}");
        int fd = Libc.Open(PathOf(spelling), Libc.ORdWr | Libc.OCreat | (truncate ? Libc.OTrunc : 0));
        if (!_names.TryGetValue(name, out var file))
        {
            file = new ModelFile(_nextId++);
            _names[name] = file;
        }
        if (truncate)
        {
            file.SetLength(0);
        }
        _open.Add((fd, file));
        CheckFile(fd, file, spelling);
        CheckNames();
    }

    private void Close()
    {
        if (_open.Count == 0)
        {
            return;
        }
        int i = _random.Next(_open.Count);
        Log($"close fd {_open[i].Fd}");
        Libc.Close(_open[i].Fd);
        _open.RemoveAt(i);
    }

    private void PWrite()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        long offset = _random.Next(MaxOffset);
        var data = new byte[RandomLength()];
        _random.NextBytes(data);
        Log($"pwrite fd {o.Fd} offset {offset} length {data.Length}");
        Libc.PWriteFully(o.Fd, data, offset);
        o.File.Write(offset, data);
        CheckFile(o.Fd, o.File, $"fd {o.Fd}");
    }

    private void PRead()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        long offset = _random.Next((int)o.File.Length + 4096);
        int length = RandomLength();
        Log($"pread fd {o.Fd} offset {offset} length {length}");
        var buffer = new byte[length];
        int n = Libc.PReadFully(o.Fd, buffer, offset);
        var expected = o.File.Slice(offset, length);
        Require(n == expected.Length, $"pread returned {n} bytes, the model has {expected.Length}");
        int same = buffer.AsSpan(0, n).CommonPrefixLength(expected);
        Require(same == n, $"pread differs from the model at file offset {offset + same}");
    }

    private void Truncate()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        long size = _random.Next(4) == 0 ? 0 : _random.Next(MaxOffset + (64 << 10));
        Log($"ftruncate fd {o.Fd} size {size}");
        Libc.FTruncate(o.Fd, size);
        o.File.SetLength(size);
        CheckFile(o.Fd, o.File, $"fd {o.Fd}");
    }

    private void CopyFileRange()
    {
        if (RandomOpen() is not { } src || RandomOpen() is not { } dst)
        {
            Open();
            return;
        }
        bool aligned = _random.Next(2) == 0;
        long offIn = Offset(aligned, (int)src.File.Length + 8192);
        long offOut = Offset(aligned, MaxOffset);
        long length = aligned ? _random.Next(1, 33) * 4096L : RandomLength();
        Log($"copy_file_range fd {src.Fd} offset {offIn} -> fd {dst.Fd} offset {offOut} length {length}");
        long result = Libc.CopyFileRange(src.Fd, offIn, dst.Fd, offOut, length);
        long n = Math.Max(0, Math.Min(length, src.File.Length - offIn));
        if (ReferenceEquals(src.File, dst.File) && n > 0 && offIn < offOut + n && offOut < offIn + n)
        {
            Require(result == -Libc.EInval, $"copy_file_range of overlapping ranges of one file returned {result}, expected -EINVAL");
            return;
        }
        Require(result == n, $"copy_file_range returned {result}, expected {n}");
        if (n > 0)
        {
            dst.File.Write(offOut, src.File.Slice(offIn, n));
        }
        CheckFile(dst.Fd, dst.File, $"fd {dst.Fd}");
        CheckFile(src.Fd, src.File, $"fd {src.Fd}");
    }

    private long Offset(bool aligned, int limit) => aligned ? _random.Next(limit / 4096 + 1) * 4096L : _random.Next(limit);

    private void MmapWrite()
    {
        var present = _names.Where(kv => kv.Value.Length > 0).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        if (present.Count == 0)
        {
            PWrite();
            return;
        }
        string name = present[_random.Next(present.Count)], spelling = Spelling(name);
        var file = _names[name];
        long offset = _random.Next((int)file.Length);
        var data = new byte[(int)Math.Min(file.Length - offset, _random.Next(1, 20000))];
        _random.NextBytes(data);
        bool flush = _random.Next(2) == 0;
        Log($"mmap {spelling} MAP_SHARED, store {data.Length} bytes at {offset}{(flush ? ", msync" : "")}, unmap");
        using (var map = MemoryMappedFile.CreateFromFile(PathOf(spelling), FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (var view = map.CreateViewAccessor(0, file.Length, MemoryMappedFileAccess.ReadWrite))
        {
            view.WriteArray(offset, data, 0, data.Length);
            if (flush)
            {
                view.Flush();
            }
        }
        file.Write(offset, data);
        CheckByName(name);
    }

    private void Punch()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        bool aligned = _random.Next(2) == 0;
        long offset = Offset(aligned, (int)o.File.Length + 4096);
        long length = aligned ? _random.Next(1, 17) * 4096L : RandomLength();
        Log($"fallocate fd {o.Fd} PUNCH_HOLE|KEEP_SIZE offset {offset} length {length}");
        int e = Libc.Fallocate(o.Fd, Libc.FallocPunchHole | Libc.FallocKeepSize, offset, length);
        Require(e == 0, $"fallocate punch failed with errno {e}");
        o.File.Zero(offset, length);
        CheckFile(o.Fd, o.File, $"fd {o.Fd}");
    }

    /// <summary>fallocate in the other modes: allocate (extending or not) and zero a range (extending or not).</summary>
    private void Fallocate()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        bool aligned = _random.Next(2) == 0;
        long offset = Offset(aligned, MaxOffset);
        long length = aligned ? _random.Next(1, 17) * 4096L : RandomLength();
        bool zero = _random.Next(2) == 0, keepSize = _random.Next(2) == 0;
        int mode = (zero ? Libc.FallocZeroRange : 0) | (keepSize ? Libc.FallocKeepSize : 0);
        Log($"fallocate fd {o.Fd} {(zero ? "ZERO_RANGE" : "ALLOCATE")}{(keepSize ? "|KEEP_SIZE" : "")} offset {offset} length {length}");
        int e = Libc.Fallocate(o.Fd, mode, offset, length);
        Require(e == 0, $"fallocate failed with errno {e}");
        if (zero)
        {
            o.File.Zero(offset, length);
        }
        if (!keepSize && offset + length > o.File.Length)
        {
            o.File.SetLength(offset + length);
        }
        CheckFile(o.Fd, o.File, $"fd {o.Fd}");
    }

    private void Unlink()
    {
        string name = RandomName(), spelling = Spelling(name);
        Log($"unlink {spelling}");
        int e = Libc.Unlink(PathOf(spelling));
        if (_names.Remove(name))
        {
            Require(e == 0, $"unlink of an existing name failed with errno {e}");
        }
        else
        {
            Require(e == Libc.ENoEnt, $"unlink of a missing name returned errno {e}, expected ENOENT");
        }
        CheckNames();
    }

    private void Rename()
    {
        string from = RandomName(), to = RandomName();
        string fromSpelling = Spelling(from), toSpelling = Spelling(to);
        Log($"rename {fromSpelling} -> {toSpelling}");
        int e = Libc.Rename2(PathOf(fromSpelling), PathOf(toSpelling), 0);
        if (!_names.TryGetValue(from, out var file))
        {
            Require(e == Libc.ENoEnt, $"rename of a missing name returned errno {e}, expected ENOENT");
            return;
        }
        Require(e == 0, $"rename failed with errno {e}");
        // rename(2) between two names of one inode does nothing.
        if (!(_names.TryGetValue(to, out var target) && ReferenceEquals(target, file)))
        {
            _names.Remove(from);
            _names[to] = file;
        }
        CheckNames();
    }

    private void Link()
    {
        string from = RandomName(), to = RandomName();
        string fromSpelling = Spelling(from), toSpelling = Spelling(to);
        Log($"link {fromSpelling} -> {toSpelling}");
        int e = 0;
        try
        {
            Libc.Link(PathOf(fromSpelling), PathOf(toSpelling));
        }
        catch (PosixException x)
        {
            e = x.Errno;
        }
        if (!_names.TryGetValue(from, out var file))
        {
            Require(e == Libc.ENoEnt, $"link from a missing name returned errno {e}, expected ENOENT");
        }
        else if (_names.ContainsKey(to))
        {
            Require(e == Libc.EExist, $"link onto an existing name returned errno {e}, expected EEXIST");
        }
        else
        {
            Require(e == 0, $"link failed with errno {e}");
            _names[to] = file;
        }
        CheckNames();
    }

    private void Fsync()
    {
        if (RandomOpen() is not { } o)
        {
            Open();
            return;
        }
        Log($"fsync fd {o.Fd}");
        Libc.Fsync(o.Fd);
    }

    private void Remount()
    {
        Log("close everything, unmount, check, mount");
        CloseAll();
        _remount();
        CheckEverything();
    }

    private void CloseAll()
    {
        foreach (var (fd, _) in _open)
        {
            Libc.Close(fd);
        }
        _open.Clear();
    }

    /// <summary>Size (fstat) and every byte of the inode behind <paramref name="fd"/>.</summary>
    private static void CheckFile(int fd, ModelFile file, string what)
    {
        var s = Libc.FStat(fd);
        Require(s.Size == file.Length, $"{what}: size {s.Size}, the model has {file.Length}");
        var buffer = new byte[file.Length + 1];
        int n = Libc.PReadFully(fd, buffer, 0);
        Require(n == file.Length, $"{what}: read {n} bytes, the model has {file.Length}");
        int same = buffer.AsSpan(0, n).CommonPrefixLength(file.Content);
        Require(same == n, $"{what}: differs from the model at offset {same}");
        CheckHoles(fd, file, what);
    }

    /// <summary>
    /// SEEK_DATA/SEEK_HOLE against the bytes (invariant 7, data just written included): every byte outside
    /// the reported data must be zero, and the walk must end at EOF.
    /// </summary>
    private static void CheckHoles(int fd, ModelFile file, string what)
    {
        long pos = 0;
        var content = file.Content;
        while (pos < file.Length)
        {
            long data = Libc.LSeek(fd, pos, Libc.SeekData);
            long zerosEnd = data == -Libc.ENxio ? file.Length : data;
            Require(zerosEnd >= pos && zerosEnd <= file.Length, $"{what}: SEEK_DATA from {pos} returned {data}");
            int nonZero = content[(int)pos..(int)zerosEnd].IndexOfAnyExcept((byte)0);
            Require(nonZero < 0, $"{what}: SEEK_DATA from {pos} skipped data at {pos + nonZero}");
            if (data == -Libc.ENxio)
            {
                return;
            }
            long hole = Libc.LSeek(fd, data, Libc.SeekHole);
            Require(hole > data && hole <= file.Length, $"{what}: SEEK_HOLE from {data} returned {hole}, size {file.Length}");
            pos = hole;
        }
    }

    private void CheckByName(string name)
    {
        int fd = Libc.Open(PathOf(name), Libc.ORdOnly);
        try
        {
            CheckFile(fd, _names[name], name);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Which names exist, which share an inode, and each inode's link count.</summary>
    private void CheckNames()
    {
        var inodes = new Dictionary<ModelFile, ulong>();
        foreach (string name in Names)
        {
            int e = Libc.TryStat(PathOf(Spelling(name)), out var s);
            if (!_names.TryGetValue(name, out var file))
            {
                Require(e == Libc.ENoEnt, $"{name} should not exist (stat errno {e})");
                continue;
            }
            Require(e == 0, $"{name} should exist (stat errno {e})");
            int links = _names.Values.Count(f => ReferenceEquals(f, file));
            Require(s.Nlink == links, $"{name}: nlink {s.Nlink}, the model has {links}");
            Require(s.Size == file.Length, $"{name}: size {s.Size}, the model has {file.Length}");
            if (inodes.TryGetValue(file, out ulong ino))
            {
                Require(s.Ino == ino, $"{name} should be the same inode as its other names");
            }
            else
            {
                Require(!inodes.ContainsValue(s.Ino), $"{name} shares inode {s.Ino} with a name of another file");
                inodes[file] = s.Ino;
            }
        }
    }

    private void CheckEverything()
    {
        CheckNames();
        foreach (string dir in new[] { "", "sub" })
        {
            var listed = Directory.EnumerateFileSystemEntries(Path.Combine(_root, dir))
                .Select(p => Path.GetFileName(p).ToLowerInvariant()).Where(n => n != "sub").Order(StringComparer.Ordinal);
            var expected = _names.Keys.Where(n => Path.GetDirectoryName(n) == dir).Select(Path.GetFileName).Order(StringComparer.Ordinal);
            Require(listed.SequenceEqual(expected), $"listing of /{dir}: [{string.Join(", ", listed)}], the model has [{string.Join(", ", expected)}]");
        }
        foreach (string name in _names.Keys.Order(StringComparer.Ordinal))
        {
            CheckByName(name);
        }
        foreach (var (fd, file) in _open)
        {
            CheckFile(fd, file, $"fd {fd}");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ModelMismatchException(message);
        }
    }

    public static string Describe(int seed, int step, IReadOnlyList<string> trace, Exception e, string fixture)
    {
        string ops = string.Join('\n', trace.Skip(Math.Max(0, trace.Count - 40)));
        return string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}, step {step}: {e.GetType().Name}: {e.Message}\nreplay: WINREFLINK_MOUNT_SEEDS={seed} WINREFLINK_MOUNT_OPS={step + 1} dotnet test --filter \"FullyQualifiedName~.Model.{fixture}.\"\nlast operations:\n{ops}");
    }
}
