using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Deadlock freedom: eight workers call every two-inode operation (rename across directories both
/// ways, rename over an existing name, NOREPLACE, exchange, a directory moving between parents, two
/// directories moving into each other, link,
/// clone and dedupe A->B and B->A) on the same pairs at random for a while, with writes and fsyncs
/// mixed in and the group-commit timer running. The run must end within a generous watchdog; a hung
/// worker fails the test with the operation every worker had in flight. Then every operation must have
/// run in both orders, and Check() must be clean. Runs 4 s; WINREFLINK_STRESS_SECONDS sets the time.
/// </summary>
public class LockOrderTests : VolumeFixture
{
    private const int Workers = 8;

    [Test]
    public void TwoInodeOperationsInBothOrdersFinish()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var fs = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.FromMilliseconds(2), CacheSizeBytes = 1L << 20, DirtyLimitBytes = 128 << 10 });
        bool hung = false;
        try
        {
            var ops = TwoInodeOperations.Create(fs);
            var counts = new int[ops.All.Count];
            var duration = StressRun.Duration(4);
            var threads = new WorkerThreads(Workers);
            var clock = Stopwatch.StartNew();
            var outcome = threads.Run(worker =>
            {
                var rng = new Random(worker + 1);
                while (!threads.Stopping && clock.Elapsed < duration)
                {
                    int i = rng.Next(ops.All.Count);
                    var op = ops.All[i];
                    threads.Doing(worker, op.Name);
                    EngineAnswer.OneOf(op.Call(fs, rng), op.Name, op.Allowed);
                    Interlocked.Increment(ref counts[i]);
                }
            }, StressRun.Watchdog(duration));
            hung = outcome.Hung.Count > 0;
            Assert.That(outcome.Succeeded, Is.True, outcome.Describe());
            string tally = string.Join("\n", ops.All.Select((op, i) => string.Create(CultureInfo.InvariantCulture, $"  {op.Name}: {counts[i]}")));
            TestContext.Out.WriteLine($"calls by operation:\n{tally}");
            Assert.That(counts, Has.All.GreaterThan(0), $"every operation should run in both orders:\n{tally}");
            ops.Verify(fs);
            var violations = fs.Check();
            Assert.That(violations, Is.Empty, "Check() after the run");
        }
        finally
        {
            // A hung worker may hold the engine's lock for ever: disposing would hang the test run too.
            if (!hung)
            {
                fs.Dispose();
            }
        }
    }
}
