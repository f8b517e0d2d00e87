using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// One thread of the concurrent exerciser: the single-threaded exerciser's generator and harness on a
/// directory of its own (so its model must match exactly), and now and then an operation on what is
/// shared: a clone from a shared source into one of its files, a read of a source, a call racing in
/// the shared directories, and (when recording) an fsync whose durable content it notes. Its sequence
/// of operations follows from its seed alone: what others do changes no choice it makes.
/// </summary>
internal sealed class ConcurrentWorker : IDisposable
{
    private readonly int _index;
    private readonly ModelHarness _harness;
    private readonly OperationGenerator _generator;
    private readonly Random _extras;
    private readonly SharedSources _sources;
    private readonly SharedNamespaceRace _race;
    private readonly FsyncLedger? _ledger;
    private readonly List<string> _trace = new();
    private FileSystem _fs;

    public ConcurrentWorker(int index, int seed, FileSystem fs, long rootIno, ExerciserProfile profile, HarnessOptions options, SharedSources sources, SharedNamespaceRace race, bool recordFsyncs)
    {
        _index = index;
        Seed = seed;
        _fs = fs;
        _harness = new ModelHarness(fs, rootIno, options);
        _generator = new OperationGenerator(new Random(seed), profile, fs.BlockSize);
        _extras = new Random(seed ^ 0x5BD1E995);
        _sources = sources;
        _race = race;
        _ledger = recordFsyncs ? new FsyncLedger() : null;
    }

    public int Seed { get; }
    public int Operations => _trace.Count;
    public FsyncLedger? Ledger => _ledger;
    public string Name => string.Create(CultureInfo.InvariantCulture, $"worker {_index}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public void Step(WorkerThreads threads)
    {
        var files = _harness.Files;
        int extra = _extras.Next(16);
        if (files.Count > 0 && extra < 3)
        {
            CloneFromSource(threads, files[_extras.Next(files.Count)]);
        }
        else if (extra < 5)
        {
            var source = _sources.Files[_extras.Next(_sources.Files.Count)];
            long offset = _extras.NextInt64(0, source.Content.Length + 1);
            int length = _extras.Next(1, 64 << 10);
            Run(threads, Inv($"read source {source.Name} at {offset}, {length} bytes"), () => SharedSources.VerifyRange(_fs, source, offset, length));
        }
        else if (extra < 8)
        {
            _trace.Add("race: (drawing)");
            _trace[^1] = _race.Step(_fs, _extras, _index, what => threads.Doing(_index, Inv($"{Name} step {_trace.Count}: {what}")));
        }
        else if (_ledger != null && files.Count > 0 && extra < 10)
        {
            FsyncAndRecord(threads, files[_extras.Next(files.Count)]);
        }
        else
        {
            var op = _generator.Next(_harness);
            Run(threads, op.Code, () => op.Apply(_harness));
            if (_ledger != null)
            {
                foreach (int id in op.Files)
                {
                    if (_harness.TryGet(id) is ModelFile f)
                    {
                        _ledger.MaybeChanged(f);
                    }
                }
            }
        }
    }

    /// <summary>The last act of a recording worker: fsync every other file, so their content after a crash is known exactly.</summary>
    public void Finish(WorkerThreads threads)
    {
        if (_ledger == null)
        {
            return;
        }
        var files = _harness.Files;
        for (int i = _extras.Next(2); i < files.Count; i += 2)
        {
            FsyncAndRecord(threads, files[i]);
        }
    }

    private void FsyncAndRecord(WorkerThreads threads, ModelFile f)
    {
        Run(threads, Inv($"h.Fsync({f.Id}); // recorded"), () => _harness.Fsync(f.Id));
        _ledger!.Fsynced(f);
    }

    private void CloneFromSource(WorkerThreads threads, ModelFile dst)
    {
        int bs = _fs.BlockSize;
        var source = _sources.Files[_extras.Next(_sources.Files.Count)];
        int size = source.Content.Length;
        long srcOffset = _extras.Next(3) switch
        {
            0 => 0,
            1 => _extras.Next(size / bs + 1) * (long)bs,
            _ => _extras.NextInt64(0, size + 1),
        };
        long dstOffset = _extras.Next(2) == 0
            ? _extras.Next(_generator.MaxFileBytes / bs) * (long)bs + srcOffset % bs
            : _extras.NextInt64(0, _generator.MaxFileBytes);
        dstOffset = Math.Min(dstOffset, _generator.MaxFileBytes - 1);
        long length = Math.Min(_extras.Next(2) == 0 ? long.MaxValue : _extras.Next(1, size + 1), _generator.MaxFileBytes - dstOffset);
        int id = dst.Id;
        Run(threads, Inv($"h.CloneFromOutside({source.Ino}, source {source.Name}, {srcOffset}, {id}, {dstOffset}, {length});"),
            () => _harness.CloneFromOutside(source.Ino, source.Content, srcOffset, id, dstOffset, length));
        _ledger?.MaybeChanged(dst);
    }

    private void Run(WorkerThreads threads, string code, Action action)
    {
        _trace.Add(code);
        threads.Doing(_index, Inv($"{Name} step {_trace.Count}: {code}"));
        action();
    }

    /// <summary>The volume was remounted cleanly: every file and name of the model must be there.</summary>
    public void Remounted(FileSystem fs)
    {
        _fs = fs;
        _harness.Remounted(fs);
    }

    public void VerifyFsynced(FileSystem fs) => _ledger!.VerifyAfterCrash(fs, Name);

    public IEnumerable<string> Trace(int last) => _trace.Skip(Math.Max(0, _trace.Count - last));

    public void Dispose() => _harness.Dispose();
}
