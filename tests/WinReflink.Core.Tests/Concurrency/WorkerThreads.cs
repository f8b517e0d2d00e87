using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Runs workers on threads of their own under a watchdog. Each worker says what it is doing before it
/// calls the engine (<see cref="Doing"/>), so a worker still running when the watchdog fires (a
/// deadlock, most likely) is reported with the operation it is stuck in, and so is every other
/// worker's. The first exception stops the others; no exception escapes a thread.
/// </summary>
internal sealed class WorkerThreads
{
    private readonly string[] _inFlight;
    private readonly ConcurrentQueue<(int Worker, Exception Error)> _failures = new();
    private volatile bool _stopping;

    public WorkerThreads(int count)
    {
        _inFlight = Enumerable.Repeat("(not started)", count).ToArray();
    }

    public int Count => _inFlight.Length;

    /// <summary>A worker failed: the others finish the operation they are in and return.</summary>
    public bool Stopping => _stopping;

    public void Doing(int worker, string what) => Volatile.Write(ref _inFlight[worker], what);

    /// <summary>Runs <paramref name="body"/> once per worker, all at once, and waits for them all or for the watchdog.</summary>
    public WorkersOutcome Run(Action<int> body, TimeSpan watchdog)
    {
        var threads = Enumerable.Range(0, Count)
            .Select(i => new Thread(() => Guarded(body, i)) { IsBackground = true, Name = string.Create(CultureInfo.InvariantCulture, $"worker {i}") })
            .ToList();
        var clock = Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        var hung = new List<(int, string)>();
        for (int i = 0; i < threads.Count; i++)
        {
            var left = watchdog - clock.Elapsed;
            if (!threads[i].Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                hung.Add((i, Volatile.Read(ref _inFlight[i])));
            }
        }
        if (hung.Count > 0)
        {
            _stopping = true;
        }
        var inFlight = Enumerable.Range(0, Count).Select(i => Volatile.Read(ref _inFlight[i])).ToList();
        return new WorkersOutcome(_failures.ToList(), hung, inFlight, watchdog);
    }

    private void Guarded(Action<int> body, int worker)
    {
        try
        {
            body(worker);
            Doing(worker, "(finished)");
        }
        catch (Exception e)
        {
            _failures.Enqueue((worker, e));
            _stopping = true;
        }
    }
}

/// <summary>How a run of workers ended: the exceptions they threw, the workers the watchdog found still running, and what each was doing last.</summary>
internal sealed record WorkersOutcome(
    IReadOnlyList<(int Worker, Exception Error)> Failures,
    IReadOnlyList<(int Worker, string InFlight)> Hung,
    IReadOnlyList<string> InFlight,
    TimeSpan Watchdog)
{
    public bool Succeeded => Failures.Count == 0 && Hung.Count == 0;

    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (Hung.Count > 0)
        {
            text.AppendLine(string.Create(inv, $"{Hung.Count} worker(s) still running after the {Watchdog.TotalSeconds:0} s watchdog (a deadlock?):"));
            foreach (var (worker, what) in Hung)
            {
                text.AppendLine(string.Create(inv, $"  worker {worker} is stuck in: {what}"));
            }
            text.AppendLine("What every worker had in flight:");
            for (int i = 0; i < InFlight.Count; i++)
            {
                text.AppendLine(string.Create(inv, $"  worker {i}: {InFlight[i]}"));
            }
        }
        foreach (var (worker, error) in Failures)
        {
            text.AppendLine(string.Create(inv, $"worker {worker} failed: {error.Message}"));
            if (error is not Model.ModelDivergenceException)
            {
                text.AppendLine(error.ToString());
            }
        }
        return text.ToString();
    }
}
