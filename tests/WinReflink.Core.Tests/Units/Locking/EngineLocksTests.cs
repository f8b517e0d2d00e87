using WinReflink.Core.Locking;

namespace WinReflink.Core.Tests.Units.Locking;

/// <summary>
/// The two levels of the engine's locks: inode scopes of different inodes, and shared scopes of one,
/// are held together; an exclusive inode scope excludes every other scope of that inode; the exclusive
/// volume scope excludes every inode scope and waits for those held.
/// </summary>
public class EngineLocksTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    /// <summary>How long a scope that must wait is watched: it can only fail to be taken in time, never too early.</summary>
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(200);

    /// <summary>Takes a scope on a thread of its own and holds it until told; <c>Taken</c> is set once it holds it.</summary>
    private sealed class Holder : IDisposable
    {
        private readonly ManualResetEventSlim _release = new(false);
        private readonly Thread _thread;

        public Holder(Func<EngineLocks.Scope> take)
        {
            _thread = new Thread(() =>
            {
                using (take())
                {
                    Taken.Set();
                    _release.Wait();
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public ManualResetEventSlim Taken { get; } = new(false);

        public void Dispose()
        {
            _release.Set();
            Assert.That(_thread.Join(Long), Is.True, "the holder let go of its scope");
            _release.Dispose();
            Taken.Dispose();
        }
    }

    /// <summary>Two inode numbers whose locks are different stripes (most pairs are).</summary>
    private static (long A, long B) TwoStripes()
    {
        long b = 3;
        while (EngineLocks.StripeOf(b) == EngineLocks.StripeOf(2))
        {
            b++;
        }
        return (2, b);
    }

    [Test]
    public void StripesSpreadConsecutiveInodes()
    {
        var used = Enumerable.Range(1, 1024).Select(i => EngineLocks.StripeOf(i)).ToHashSet();
        Assert.That(used.Count, Is.GreaterThan(EngineLocks.Stripes * 9 / 10), "1,024 consecutive inodes use nearly every stripe");
        Assert.That(used.All(s => s is >= 0 and < EngineLocks.Stripes), Is.True);
    }

    [Test]
    public void WritersOfTwoInodesHoldTheirLocksTogether()
    {
        var (a, b) = TwoStripes();
        var locks = new EngineLocks();
        using var first = new Holder(() => locks.Inode(a, write: true));
        Assert.That(first.Taken.Wait(Long), Is.True);
        using var second = new Holder(() => locks.Inode(b, write: true));
        Assert.That(second.Taken.Wait(Long), Is.True, "a writer of another inode does not wait");
    }

    [Test]
    public void ReadersOfOneInodeHoldItTogetherAndAWriterWaitsForThem()
    {
        var locks = new EngineLocks();
        var first = new Holder(() => locks.Inode(7, write: false));
        Assert.That(first.Taken.Wait(Long), Is.True);
        var second = new Holder(() => locks.Inode(7, write: false));
        Assert.That(second.Taken.Wait(Long), Is.True, "a second reader of the inode does not wait");
        using var writer = new Holder(() => locks.Inode(7, write: true));
        Assert.That(writer.Taken.Wait(Blocked), Is.False, "a writer waits for the readers");
        first.Dispose();
        Assert.That(writer.Taken.Wait(Blocked), Is.False, "and for the last of them");
        second.Dispose();
        Assert.That(writer.Taken.Wait(Long), Is.True);
    }

    [Test]
    public void AWriterOfAnInodeExcludesItsReaders()
    {
        var locks = new EngineLocks();
        var writer = new Holder(() => locks.Inode(7, write: true));
        Assert.That(writer.Taken.Wait(Long), Is.True);
        using var reader = new Holder(() => locks.Inode(7, write: false));
        Assert.That(reader.Taken.Wait(Blocked), Is.False);
        writer.Dispose();
        Assert.That(reader.Taken.Wait(Long), Is.True);
    }

    [Test]
    public void TheExclusiveVolumeScopeWaitsForInodeScopesAndExcludesNewOnes()
    {
        var locks = new EngineLocks();
        var reader = new Holder(() => locks.Inode(7, write: false));
        Assert.That(reader.Taken.Wait(Long), Is.True);
        var exclusive = new Holder(locks.Exclusive);
        Assert.That(exclusive.Taken.Wait(Blocked), Is.False, "the exclusive scope waits for a reader of any inode");
        reader.Dispose();
        Assert.That(exclusive.Taken.Wait(Long), Is.True);
        using var other = new Holder(() => locks.Inode(8, write: true));
        Assert.That(other.Taken.Wait(Blocked), Is.False, "no inode scope while the volume is held exclusively");
        exclusive.Dispose();
        Assert.That(other.Taken.Wait(Long), Is.True);
    }

    /// <summary>
    /// A rename's scope: up to four inodes exclusive, two of them sharing a stripe, one absent (-1).
    /// Each of their stripes is held (readers of any of them wait) and taken once (the scope is not
    /// recursive, so a stripe taken twice would throw); another stripe stays free; all are let go.
    /// </summary>
    [Test]
    public void TheRenameScopeHoldsEachOfItsStripesOnceAndNoOther()
    {
        long a = 2, sameStripe = 3;
        while (EngineLocks.StripeOf(sameStripe) != EngineLocks.StripeOf(a))
        {
            sameStripe++;
        }
        long b = 3;
        while (EngineLocks.StripeOf(b) == EngineLocks.StripeOf(a))
        {
            b++;
        }
        long free = b + 1;
        while (EngineLocks.StripeOf(free) == EngineLocks.StripeOf(a) || EngineLocks.StripeOf(free) == EngineLocks.StripeOf(b))
        {
            free++;
        }
        var locks = new EngineLocks();
        var rename = new Holder(() => locks.InodesExclusive(b, a, -1, sameStripe));
        Assert.That(rename.Taken.Wait(Long), Is.True);
        using var readerOfA = new Holder(() => locks.Inode(a, write: false));
        using var readerOfB = new Holder(() => locks.Inode(b, write: false));
        using var readerOfFree = new Holder(() => locks.Inode(free, write: false));
        Assert.That(readerOfFree.Taken.Wait(Long), Is.True, "a stripe outside the rename is free");
        Assert.That(readerOfA.Taken.Wait(Blocked), Is.False, "the rename holds its first inode's stripe");
        Assert.That(readerOfB.Taken.Wait(Blocked), Is.False, "and its second's");
        rename.Dispose();
        Assert.That(readerOfA.Taken.Wait(Long), Is.True);
        Assert.That(readerOfB.Taken.Wait(Long), Is.True);
    }

    [Test]
    public void TheHoldingThreadSeesWhatItHolds()
    {
        var locks = new EngineLocks();
        using (locks.Inode(5, write: true))
        {
            Assert.That(locks.Held, Is.True);
            Assert.That(locks.HeldExclusively, Is.False);
            Assert.That(locks.HeldForWrite(5), Is.True);
        }
        using (locks.Exclusive())
        {
            Assert.That(locks.HeldExclusively, Is.True);
            Assert.That(locks.HeldForWrite(12345), Is.True);
        }
        Assert.That(locks.Held, Is.False);
    }
}
