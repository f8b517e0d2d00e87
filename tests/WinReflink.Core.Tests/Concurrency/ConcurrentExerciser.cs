using System.Diagnostics;
using System.Globalization;
using System.Text;
using WinReflink.Core.Tests.Crash;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// A volume shared by several <see cref="ConcurrentWorker"/>s, each in a directory of its own, with
/// the shared sources and race directories, and what the test does between runs with the workers
/// stopped: Check(), the shared invariants, a remount or a power cut. Any failure is reported with the
/// seed (and each worker's seed), the stage, what the workers had in flight and each worker's last
/// operations; all traces go to a file.
/// </summary>
internal sealed class ConcurrentExerciser : IDisposable
{
    public const int DefaultWorkers = 4;
    /// <summary>Each worker does at least this many operations, however busy the machine.</summary>
    private const int MinimumOperations = 20;
    private const int TraceLines = 30;

    private readonly string _folder;
    private readonly int _seed;
    private readonly ExerciserProfile _profile;
    private readonly HarnessOptions _options;
    private readonly CrashImage? _image;
    private readonly List<ConcurrentWorker> _workers = new();
    private FileSystem _fs;
    private SharedSources? _sources;
    private SharedNamespaceRace? _race;
    /// <summary>A worker hung: the engine may hold a lock for ever, so it is left as it is rather than disposed.</summary>
    private bool _abandoned;
    private bool _failed;

    public ConcurrentExerciser(string folder, int seed, ExerciserProfile profile, int workers = DefaultWorkers)
    {
        _folder = folder;
        _seed = seed;
        _profile = profile;
        _options = profile.Options(seed);
        FileSystem.Format(folder, _options.ToFormatOptions());
        if (_options.Crash != null)
        {
            _image = new CrashImage(_options.BlockSize, _options.VolumeBytes / _options.BlockSize);
        }
        _fs = OpenVolume();
        Stage("set-up", () =>
        {
            _sources = SharedSources.Create(_fs);
            _race = SharedNamespaceRace.Create(_fs, workers);
            var seeds = new Random(seed);
            for (int i = 0; i < workers; i++)
            {
                long dir = NewNode.Directory(_fs, FileSystem.RootIno, string.Create(CultureInfo.InvariantCulture, $"w{i}"));
                _workers.Add(new ConcurrentWorker(i, seeds.Next(), _fs, dir, profile, _options, _sources, _race, recordFsyncs: _image != null));
            }
        });
    }

    private SharedSources Sources => _sources!;
    private SharedNamespaceRace Race => _race!;

    /// <summary>Operations each worker did, in worker order.</summary>
    public IReadOnlyList<int> Operations => _workers.Select(w => w.Operations).ToList();

    private FileSystem OpenVolume() => FileSystem.Open(_folder, _options.ToOpenOptions(_image));

    /// <summary>All workers at once for <paramref name="duration"/> (and at least a few operations each); then recording workers fsync some files last.</summary>
    public void Run(TimeSpan duration)
    {
        var threads = new WorkerThreads(_workers.Count);
        var clock = Stopwatch.StartNew();
        var outcome = threads.Run(i =>
        {
            var worker = _workers[i];
            while (!threads.Stopping && (clock.Elapsed < duration || worker.Operations < MinimumOperations))
            {
                worker.Step(threads);
            }
            if (!threads.Stopping)
            {
                worker.Finish(threads);
            }
        }, StressRun.Watchdog(duration));
        if (!outcome.Succeeded)
        {
            _abandoned = outcome.Hung.Count > 0;
            Fail("the concurrent run", outcome.Describe());
        }
    }

    /// <summary>With the workers stopped: Check() clean, the race's invariants (xattrs too), the sources unchanged.</summary>
    public void VerifyQuiet() => Stage("the check after the run", () =>
    {
        RequireClean("after the run");
        Race.Verify(_fs, xattrs: true);
        Sources.Verify(_fs);
    });

    /// <summary>Unmount and mount again: Check() clean, and every worker's model, the race and the sources as they were.</summary>
    public void Remount() => Stage("the remount", () =>
    {
        _fs.Dispose();
        _fs = OpenVolume();
        RequireClean("after the remount");
        foreach (var worker in _workers)
        {
            worker.Remounted(_fs);
        }
        Race.Verify(_fs, xattrs: true);
        Sources.Verify(_fs);
    });

    /// <summary>Power cut (unflushed writes lost, torn or kept by the seed's policy) and mount again: Check() clean, fsync'd content there, sources unchanged, race invariants.</summary>
    public (int Exact, int Tracked) CrashAndRecover() => Stage("the power cut", () =>
    {
        _fs.SimulateCrash();
        _image!.Crash(new Random(_seed), _options.Crash!.Value);
        _fs = OpenVolume();
        RequireClean("after the power cut");
        foreach (var worker in _workers)
        {
            worker.VerifyFsynced(_fs);
        }
        Sources.Verify(_fs);
        Race.Verify(_fs, xattrs: false);
        return (_workers.Sum(w => w.Ledger!.ExactFiles), _workers.Sum(w => w.Ledger!.TrackedFiles));
    });

    private void RequireClean(string when)
    {
        var violations = _fs.Check();
        if (violations.Count > 0)
        {
            throw new ModelDivergenceException($"Check() {when} found {violations.Count} violation(s):\n  " + string.Join("\n  ", violations.Select(v => v.ToString())));
        }
        // Throws with the broken invariant; Stage reports it with the workers' traces.
        _fs.CheckContentIndex();
    }

    private void Stage(string stage, Action action) => Stage<bool>(stage, () =>
    {
        action();
        return true;
    });

    private T Stage<T>(string stage, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            Fail(stage, e is ModelDivergenceException ? e.Message : e.ToString());
            throw new UnreachableException();
        }
    }

    private void Fail(string stage, string what)
    {
        _failed = true;
        var inv = CultureInfo.InvariantCulture;
        string header = string.Create(inv, $"{_profile.Name} run failed in {stage}: seed {_seed}, {_workers.Count} workers (worker seeds {string.Join(", ", _workers.Select(w => w.Seed))})");
        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine(what);
        foreach (var worker in _workers)
        {
            text.AppendLine(string.Create(inv, $"{worker.Name}, {worker.Operations} operations, the last {Math.Min(TraceLines, worker.Operations)}:"));
            foreach (string line in worker.Trace(TraceLines))
            {
                text.AppendLine("    " + line);
            }
        }
        string traceFile = Path.Combine(Path.GetTempPath(), string.Create(inv, $"winreflink-{_profile.Name}-seed{_seed}.trace.txt"));
        var all = new StringBuilder(text.ToString());
        foreach (var worker in _workers)
        {
            all.AppendLine(string.Create(inv, $"{worker.Name}, every operation:"));
            foreach (string line in worker.Trace(int.MaxValue))
            {
                all.AppendLine("    " + line);
            }
        }
        File.WriteAllText(traceFile, all.ToString());
        TestContext.Out.WriteLine(text.ToString());
        Assert.Fail($"{header}\n{what}\nEach worker's last operations are in the test output, all of them in {traceFile}");
    }

    public void Dispose()
    {
        _workers.ForEach(w => w.Dispose());
        if (_abandoned)
        {
            return;
        }
        try
        {
            _fs.Dispose();
        }
        catch (Exception) when (_failed)
        {
            // The test has failed already; that failure is the one to report.
        }
    }
}
