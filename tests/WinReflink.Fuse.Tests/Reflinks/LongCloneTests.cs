using System.Diagnostics;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Reflinks;

/// <summary>
/// A copy_file_range of a 1 GiB range whose offsets differ modulo the block size (so every byte is
/// copied) runs in clone steps with the volume lock released between them: other requests are
/// answered meanwhile, and a signal to the copying program stops it (FUSE_INTERRUPT) with a short
/// count or EINTR. The teardown's check proves the volume consistent after either.
/// </summary>
public sealed class LongCloneTests : MountedTest
{
    private const long SourceBytes = 1L << 30;
    private const int Mark = 1 << 20;
    /// <summary>Where the source holds random bytes; the rest is a hole (zeros to copy).</summary>
    private static readonly long[] Marks = [0, SourceBytes / 2, SourceBytes - Mark];

    private byte[] _marks = [];

    /// <summary>A 1 GiB source, sparse but for three random mebibytes.</summary>
    private void MakeSource(string name)
    {
        _marks = new byte[Mark];
        new Random(21).NextBytes(_marks);
        int fd = Libc.Open(P(name), Libc.ORdWr | Libc.OCreat);
        try
        {
            Libc.FTruncate(fd, SourceBytes);
            foreach (long at in Marks)
            {
                Libc.PWriteFully(fd, _marks, at);
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The destination, copied from source offset 1 to 0, holds the marks one byte earlier, up to <paramref name="copied"/>.</summary>
    private void AssertCopiedMarks(string dst, long copied)
    {
        Assert.That(Libc.Stat(P(dst)).Size, Is.EqualTo(copied), "the destination's size is the count answered");
        int fd = Libc.Open(P(dst), Libc.ORdOnly);
        try
        {
            var buffer = new byte[Mark - 1];
            foreach (long at in Marks)
            {
                // Source byte i lands at i - 1, so the first mark loses its first byte.
                long from = Math.Max(0, at - 1);
                var expected = at == 0 ? _marks.AsSpan(1) : _marks.AsSpan(0, Mark - 1);
                if (from + expected.Length <= copied)
                {
                    Assert.That(Libc.PReadFully(fd, buffer, from), Is.EqualTo(buffer.Length));
                    Assert.That(buffer.AsSpan().SequenceEqual(expected), Is.True, $"the mark at {at} is copied");
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Test]
    public void OtherRequestsAreAnsweredWhileALongUnalignedCopyRuns()
    {
        MakeSource("src");
        var other = new byte[1 << 16];
        new Random(3).NextBytes(other);
        File.WriteAllBytes(P("other"), other);
        long copied = 0;
        var copyTime = Stopwatch.StartNew();
        var copy = new Thread(() =>
        {
            int src = Libc.Open(P("src"), Libc.ORdOnly);
            int dst = Libc.Open(P("dst"), Libc.OWrOnly | Libc.OCreat);
            try
            {
                copied = Libc.CopyFileRange(src, 1, dst, 0, SourceBytes - 1);
            }
            finally
            {
                Libc.Close(src);
                Libc.Close(dst);
                copyTime.Stop();
            }
        });
        var latencies = new List<double>();
        int probe = Libc.Open(P("other"), Libc.ORdWr);
        try
        {
            copy.Start();
            var buffer = new byte[4096];
            // The reads and writes go to the mount process (no kernel cache by default), so each waits for the volume lock.
            for (int i = 0; copy.IsAlive; i++)
            {
                var one = Stopwatch.StartNew();
                Assert.That(Libc.PReadFully(probe, buffer, i % 16 * 4096L), Is.EqualTo(buffer.Length));
                Libc.PWriteFully(probe, buffer, i % 16 * 4096L);
                Assert.That(Libc.Stat(P("other")).Size, Is.EqualTo(other.Length));
                latencies.Add(one.Elapsed.TotalMilliseconds);
                Thread.Sleep(5);
            }
            copy.Join();
        }
        finally
        {
            Libc.Close(probe);
        }
        latencies.Sort();
        TestContext.Out.WriteLine($"copy of 1 GiB: {copyTime.ElapsedMilliseconds} ms; {latencies.Count} probes meanwhile, median {latencies[latencies.Count / 2]:0.0} ms, max {latencies[^1]:0.0} ms");
        Assert.That(copied, Is.EqualTo(SourceBytes - 1), "one request copies the whole range");
        Assert.That(latencies.Count, Is.GreaterThanOrEqualTo(10), "the probes ran all through the copy");
        // Under the one lock held for the whole copy, the first probe waited for all of it and no other ran.
        // The numbers stay relative: other processes on the machine stretch both the copy and the probes.
        Assert.That(latencies[latencies.Count / 2], Is.LessThan(copyTime.Elapsed.TotalMilliseconds / 5), "a probe (three requests) waits for a step or two, not for the copy");
        Assert.That(latencies[^1], Is.LessThan(copyTime.Elapsed.TotalMilliseconds / 2), "no probe waits for most of the copy");
        AssertCopiedMarks("dst", copied);
    }

    [Test]
    public void ASignalStopsALongCopyWithAShortCountOrEintr()
    {
        MakeSource("src");
        string program = BuildInterruptedCopy();
        var r = ProcessRunner.Run(program, [P("src"), "1", P("dst"), (SourceBytes - 1).ToString(), "100"], TimeSpan.FromMinutes(2));
        TestContext.Out.WriteLine(r.Stdout);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var words = r.Stdout.Trim().Split(' ');
        Assert.That(words, Has.Length.EqualTo(4), r.Stdout);
        Assert.That(words[3], Is.EqualTo("1"), "the alarm went off during the copy");
        if (words[0] == "errno")
        {
            Assert.That(words[1], Is.EqualTo("4"), "EINTR");
            Assert.That(Libc.Stat(P("dst")).Size, Is.Zero, "EINTR from copy_file_range: nothing was done");
        }
        else
        {
            Assert.That(words[0], Is.EqualTo("copied"));
            long copied = long.Parse(words[1]);
            Assert.That(copied, Is.GreaterThan(0L).And.LessThan(SourceBytes - 1), "a short count: stopped midway");
            AssertCopiedMarks("dst", copied);
        }
    }

    /// <summary>Compiles interrupted-copy.c (copied next to the test assembly) into the test area.</summary>
    private string BuildInterruptedCopy()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Reflinks", "interrupted-copy.c");
        string output = Area.PathOf("interrupted-copy");
        ProcessRunner.RunOk("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", output, source);
        return output;
    }
}
