using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// A seeded scenario of creates, writes, clones (overwrites of clones follow), truncates, fsyncs and
/// syncs over a few files, with a model of what each file may show after its volume stops: its bytes
/// at the last successful commit, or, byte for byte, a later version's (in-place overwrites may reach
/// disk early). A zero is accepted only where one of those versions had one, or had been truncated
/// below it (a truncate's zeroed tail can reach disk before its size, as on ext4 and XFS).
/// </summary>
internal sealed class FaultScenario
{
    private const uint RegularFile = 0x81A4;
    private const int Files = 4;
    private const int Steps = 60;
    private const int MaxSize = 96 * 1024;

    private sealed class FileHistory
    {
        public byte[] Current = [];
        public byte[] Committed = [];
        public List<byte[]> Since = new();
        public bool Exists;
        public bool CommittedExists;
        /// <summary>Changed since the last commit (even to the same bytes: times change too).</summary>
        public bool Changed;
    }

    private readonly FileHistory[] _files = Enumerable.Range(0, Files).Select(_ => new FileHistory()).ToArray();
    private readonly long[] _ino = new long[Files];
    private readonly Random _rng;
    private readonly string _where;

    public FaultScenario(int seed, string where)
    {
        _rng = new Random(seed);
        _where = $"seed {seed}, {where}";
    }

    /// <summary>Scenario seeds: one by default, WINREFLINK_FAULT_SEEDS=N runs seeds 1 to N for long runs.</summary>
    public static IEnumerable<int> Seeds()
    {
        string? n = Environment.GetEnvironmentVariable("WINREFLINK_FAULT_SEEDS");
        return n == null ? [1] : Enumerable.Range(1, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Runs the steps until one fails. A failing step must have stopped the volume with EIO or
    /// read-only; once stopped, fsync and close answer EIO exactly for the files with lost changes.
    /// </summary>
    public void Run(FileSystem fs)
    {
        // The file of the failing step may or may not have been changed in memory before it failed.
        int halfDone = -1;
        for (int step = 0; step < Steps; step++)
        {
            int i = _rng.Next(Files);
            var e = Step(fs, i, out bool commit, out bool changed);
            if (e != FsError.Ok)
            {
                Assert.That(fs.Failure, Is.Not.Null, $"{_where}: step {step} answered {e} but the volume did not stop");
                Assert.That(e, Is.AnyOf(FsError.Io, FsError.ReadOnly), $"{_where}: step {step}");
                halfDone = i;
                break;
            }
            Assert.That(fs.Failure, Is.Null, $"{_where}: step {step} answered Ok on a stopped volume");
            if (commit)
            {
                AllCommitted();
            }
            else if (changed)
            {
                _files[i].Since.Add(_files[i].Current);
                _files[i].Changed = true;
            }
        }
        if (fs.Failure == null)
        {
            return;
        }
        for (int i = 0; i < Files; i++)
        {
            var f = _files[i];
            if (f.Exists)
            {
                var expected = f.Changed ? new[] { FsError.Io } : i == halfDone ? [FsError.Io, FsError.Ok] : [FsError.Ok];
                Assert.That(fs.Fsync(_ino[i]), Is.AnyOf(expected), $"{_where}: fsync of f{i} after the failure");
                Assert.That(fs.Flush(_ino[i]), Is.AnyOf(expected), $"{_where}: close of f{i} after the failure");
            }
        }
    }

    /// <summary>The volume closed without a failure: its closing commit holds everything.</summary>
    public void AllCommitted()
    {
        foreach (var f in _files)
        {
            (f.Committed, f.CommittedExists, f.Changed) = (f.Current, f.Exists, false);
            f.Since.Clear();
        }
    }

    /// <summary>
    /// After the volume is opened again: every file as the model allows, and `check` clean. With
    /// <paramref name="failedCommitMayHaveLanded"/>, the whole volume may instead hold the commit that
    /// failed, exactly: SQLite reported it failed, but its WAL frames were written, and when the disk
    /// stays broken nothing overwrites them before the reopen replays them (EIO means "unknown").
    /// </summary>
    /// <returns>Whether the failed commit landed.</returns>
    public bool Verify(FileSystem again, bool failedCommitMayHaveLanded = false)
    {
        if (failedCommitMayHaveLanded && HoldsCurrent(again) && !HoldsCommitted())
        {
            Assert.That(again.Check(), Is.Empty, _where);
            return true;
        }
        for (int i = 0; i < Files; i++)
        {
            var f = _files[i];
            var e = again.Lookup(FileSystem.RootIno, $"f{i}", out var attr);
            if (!f.CommittedExists)
            {
                Assert.That(e, Is.EqualTo(FsError.NotFound), $"{_where}: f{i} was never committed");
                continue;
            }
            Assert.That(e, Is.EqualTo(FsError.Ok), $"{_where}: committed f{i} is gone");
            Assert.That(attr.Size, Is.EqualTo(f.Committed.Length), $"{_where}: size of f{i}");
            var content = new byte[attr.Size];
            Assert.That(again.Read(attr.Ino, 0, content, out _), Is.EqualTo(FsError.Ok));
            for (int b = 0; b < content.Length; b++)
            {
                if (content[b] != f.Committed[b] && !f.Since.Any(v => b < v.Length ? v[b] == content[b] : content[b] == 0))
                {
                    Assert.Fail($"{_where}: f{i} byte {b} is {content[b]}, neither its committed value {f.Committed[b]} nor a later one");
                }
            }
        }
        Assert.That(again.Check(), Is.Empty, _where);
        return false;
    }

    /// <summary>Whether the model's last commit and its current state are the same (nothing was in flight).</summary>
    private bool HoldsCommitted() => _files.All(f => f.Exists == f.CommittedExists && f.Current.AsSpan().SequenceEqual(f.Committed));

    /// <summary>Whether every file is exactly as the model last had it (the state the failed commit was writing).</summary>
    private bool HoldsCurrent(FileSystem again)
    {
        for (int i = 0; i < Files; i++)
        {
            var f = _files[i];
            var e = again.Lookup(FileSystem.RootIno, $"f{i}", out var attr);
            if (e != (f.Exists ? FsError.Ok : FsError.NotFound))
            {
                return false;
            }
            if (!f.Exists)
            {
                continue;
            }
            var content = new byte[attr.Size];
            if (attr.Size != f.Current.Length || again.Read(attr.Ino, 0, content, out _) != FsError.Ok || !content.AsSpan().SequenceEqual(f.Current))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One random operation on file i; the model changes only when it answers Ok. <paramref name="changed"/>: whether it changes the file at all.</summary>
    private FsError Step(FileSystem fs, int i, out bool commit, out bool changed)
    {
        commit = false;
        changed = true;
        var f = _files[i];
        if (!f.Exists)
        {
            var e = fs.Create(FileSystem.RootIno, $"f{i}", new CreateRequest(RegularFile, 0, 0), out var attr);
            if (e == FsError.Ok)
            {
                (_ino[i], f.Exists, f.Current) = (attr.Ino, true, []);
            }
            return e;
        }
        switch (_rng.Next(8))
        {
            case 0 or 1 or 2:
                {
                    int offset = _rng.Next(MaxSize / 2), length = 1 + _rng.Next(MaxSize / 2);
                    var data = new byte[length];
                    _rng.NextBytes(data);
                    var e = fs.Write(_ino[i], offset, data, out _);
                    if (e == FsError.Ok)
                    {
                        var next = new byte[Math.Max(f.Current.Length, offset + length)];
                        f.Current.CopyTo(next, 0);
                        data.CopyTo(next, offset);
                        f.Current = next;
                    }
                    return e;
                }
            case 3:
                {
                    int j = (i + 1 + _rng.Next(Files - 1)) % Files;
                    if (!_files[j].Exists)
                    {
                        // Nothing to clone from: fsync instead, so every step reaches the engine.
                        commit = true;
                        return fs.Fsync(_ino[i]);
                    }
                    var e = fs.CloneRange(_ino[j], 0, _ino[i], 0, long.MaxValue, out long cloned);
                    // A clone of an empty file changes nothing, not even the times (as on Linux).
                    changed = cloned > 0;
                    if (e == FsError.Ok)
                    {
                        var next = new byte[Math.Max(f.Current.Length, cloned)];
                        f.Current.CopyTo(next, 0);
                        _files[j].Current.AsSpan(0, (int)cloned).CopyTo(next);
                        f.Current = next;
                    }
                    return e;
                }
            case 4:
                {
                    int size = _rng.Next(MaxSize);
                    var e = fs.SetAttributes(_ino[i], new SetAttributesRequest(SetAttributeFields.Size, Size: size), out _);
                    if (e == FsError.Ok)
                    {
                        var next = new byte[size];
                        f.Current.AsSpan(0, Math.Min(size, f.Current.Length)).CopyTo(next);
                        f.Current = next;
                    }
                    return e;
                }
            case 5 or 6:
                commit = true;
                return fs.Fsync(_ino[i]);
            default:
                commit = true;
                return fs.Sync();
        }
    }
}
