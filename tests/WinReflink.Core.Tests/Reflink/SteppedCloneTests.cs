using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Reflink;

/// <summary>
/// A long clone runs in steps with the volume lock released between them (issue 9): other calls get
/// in, a cancelled token stops it with the part done, a source truncated meanwhile clips it, and a crash
/// between steps leaves a consistent volume holding a prefix of the clone. A small step makes a 4 MiB
/// clone take 16 steps.
/// </summary>
public class SteppedCloneTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const int Step = 256 << 10;
    private const int SourceBytes = 4 << 20;
    /// <summary>Source offset 1, destination 0: no block can be shared, every byte is copied.</summary>
    private const long Unaligned = 1;

    private FileSystem _fs = null!;
    private byte[] _source = [];
    private long _src, _dst, _other;

    [SetUp]
    public void CreateFiles()
    {
        _fs = FormatAndOpen();
        _fs.CloneStepBytes = Step;
        _source = new byte[SourceBytes];
        new Random(9).NextBytes(_source);
        _src = Create("src", _source);
        _dst = Create("dst", []);
        _other = Create("other", new byte[4096]);
    }

    [TearDown]
    public void Close() => _fs.Dispose();

    private long Create(string name, byte[] content)
    {
        Assert.That(_fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        if (content.Length > 0)
        {
            Assert.That(_fs.Write(attr.Ino, 0, content, out _), Is.EqualTo(FsError.Ok));
        }
        return attr.Ino;
    }

    private static void AssertHoldsSourcePrefix(FileSystem fs, long ino, byte[] source, long srcOffset, long length)
    {
        Assert.That(fs.GetAttributes(ino, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.EqualTo(length), "the destination's size shows exactly the part done");
        var read = new byte[length];
        Assert.That(fs.Read(ino, 0, read, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(length));
        Assert.That(read.AsSpan().SequenceEqual(source.AsSpan((int)srcOffset, (int)length)), Is.True, "the destination holds the source's bytes");
    }

    [Test]
    public void OtherCallsCompleteBetweenTheSteps()
    {
        int completed = 0;
        using var stop = new CancellationTokenSource();
        var other = new Thread(() =>
        {
            var buffer = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                Assert.That(_fs.Write(_other, 0, buffer, out _), Is.EqualTo(FsError.Ok));
                Assert.That(_fs.GetAttributes(_other, out _), Is.EqualTo(FsError.Ok));
                Interlocked.Increment(ref completed);
            }
        });
        other.Start();
        int boundaries = 0, waited = 0;
        // Each boundary waits for the other thread to finish a call: it can, only because no lock is held.
        _fs.CloneStepEnded = _ =>
        {
            boundaries++;
            int seen = Volatile.Read(ref completed);
            if (SpinWait.SpinUntil(() => Volatile.Read(ref completed) > seen, TimeSpan.FromSeconds(10)))
            {
                waited++;
            }
        };
        var e = _fs.CloneRange(_src, Unaligned, _dst, 0, long.MaxValue, out long cloned);
        stop.Cancel();
        other.Join();
        Assert.That(e, Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(SourceBytes - Unaligned));
        Assert.That(boundaries, Is.EqualTo((SourceBytes - Unaligned + Step - 1) / Step - 1), "one boundary between each two steps");
        Assert.That(waited, Is.EqualTo(boundaries), "another thread's call completed at every boundary");
        AssertHoldsSourcePrefix(_fs, _dst, _source, Unaligned, cloned);
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void CancellationMidwayAnswersInterruptedWithThePartDone()
    {
        using var cancel = new CancellationTokenSource();
        _fs.CloneStepEnded = done =>
        {
            if (done >= 3 * Step)
            {
                cancel.Cancel();
            }
        };
        var e = _fs.CloneRange(_src, Unaligned, _dst, 0, long.MaxValue, cancel.Token, out long cloned);
        Assert.That(e, Is.EqualTo(FsError.Interrupted));
        Assert.That(cloned, Is.EqualTo(3 * Step), "the clone stops at the first boundary after the cancel");
        AssertHoldsSourcePrefix(_fs, _dst, _source, Unaligned, cloned);
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void ACloneCancelledBeforeItStartsDoesNothing()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.That(_fs.CloneRange(_src, 0, _dst, 0, SourceBytes, cancel.Token, out long cloned), Is.EqualTo(FsError.Interrupted));
        Assert.That(cloned, Is.Zero);
        Assert.That(_fs.GetAttributes(_dst, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.Zero);
    }

    [Test]
    public void ASourceTruncatedBetweenStepsClipsTheClone()
    {
        const int truncatedTo = 5 * Step / 2 + 123;
        _fs.CloneStepEnded = done =>
        {
            if (done == 2 * Step)
            {
                Assert.That(_fs.SetAttributes(_src, new SetAttributesRequest(SetAttributeFields.Size, Size: truncatedTo), out _), Is.EqualTo(FsError.Ok));
            }
        };
        var e = _fs.CloneRange(_src, Unaligned, _dst, 0, long.MaxValue, out long cloned);
        Assert.That(e, Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(truncatedTo - Unaligned), "the clone ends at the source's new size");
        AssertHoldsSourcePrefix(_fs, _dst, _source, Unaligned, cloned);
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void ADestinationTruncatedBetweenStepsStopsTheClone()
    {
        _fs.CloneStepEnded = done =>
        {
            if (done == Step)
            {
                Assert.That(_fs.SetAttributes(_dst, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
            }
        };
        var e = _fs.CloneRange(_src, Unaligned, _dst, 0, long.MaxValue, out long cloned);
        Assert.That(e, Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(Step), "a short count: the part done before the truncation");
        Assert.That(_fs.GetAttributes(_dst, out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(attr.Size, Is.Zero, "the clone does not go on past the hole the truncation would leave");
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void AnAlignedCloneSharesItsBlocksInSteps()
    {
        const int tail = 100;
        long src = Create("aligned", [.. _source, .. _source.AsSpan(0, tail)]);
        var all = _source.Concat(_source.Take(tail)).ToArray();
        _fs.CloneStepBytes = 16 << 10;
        int boundaries = 0;
        _fs.CloneStepEnded = _ => boundaries++;
        long freeBefore = _fs.StatFs().FreeBlocks;
        Assert.That(_fs.CloneRange(src, 0, _dst, 0, long.MaxValue, out long cloned), Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(all.Length));
        Assert.That(boundaries, Is.GreaterThan(1), "a share step covers a bounded number of blocks");
        Assert.That(_fs.StatFs().FreeBlocks, Is.EqualTo(freeBefore), "every block, the partial last one too, is shared, none copied");
        AssertHoldsSourcePrefix(_fs, _dst, all, 0, cloned);
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void ACrashBetweenStepsLeavesTheCommittedPrefix()
    {
        long committed = 0;
        using var cancel = new CancellationTokenSource();
        _fs.CloneStepEnded = done =>
        {
            if (done == 2 * Step)
            {
                // What the group commit does between two steps.
                Assert.That(_fs.Sync(), Is.EqualTo(FsError.Ok));
                committed = done;
            }
            else if (done == 4 * Step)
            {
                cancel.Cancel();
            }
        };
        Assert.That(_fs.Fsync(_src), Is.EqualTo(FsError.Ok));
        Assert.That(_fs.CloneRange(_src, Unaligned, _dst, 0, long.MaxValue, cancel.Token, out long cloned), Is.EqualTo(FsError.Interrupted));
        Assert.That(cloned, Is.EqualTo(4 * Step));
        _fs.SimulateCrash();
        _fs = Reopen();
        AssertHoldsSourcePrefix(_fs, _dst, _source, Unaligned, committed);
        Assert.That(_fs.Check(), Is.Empty);
    }
}
