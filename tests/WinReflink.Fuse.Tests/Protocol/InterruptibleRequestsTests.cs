using WinReflink.Fuse.Session;

namespace WinReflink.Fuse.Tests.Protocol;

/// <summary>
/// The registry FUSE_INTERRUPT goes through: it cancels the running request it names, one that
/// registers after its INTERRUPT starts cancelled, and an INTERRUPT that matches nothing is handed out
/// for an EAGAIN answer only once it has waited <see cref="InterruptibleRequests.UnclaimedWait"/>.
/// </summary>
public sealed class InterruptibleRequestsTests
{
    private long _nowMs = 1_000;
    private InterruptibleRequests _requests = null!;

    [SetUp]
    public void Create() => _requests = new InterruptibleRequests(() => _nowMs);

    private void Wait(TimeSpan t) => _nowMs += (long)t.TotalMilliseconds;

    [Test]
    public void AnInterruptCancelsTheRequestItNamesOnly()
    {
        using var named = _requests.Register(10);
        using var other = _requests.Register(12);
        _requests.Interrupt(10, 11);
        Assert.That(named.Token.IsCancellationRequested, Is.True);
        Assert.That(other.Token.IsCancellationRequested, Is.False);
        Wait(InterruptibleRequests.UnclaimedWait * 2);
        Assert.That(_requests.TryTakeUnclaimed(out _), Is.False, "a matched interrupt is not answered: its request's reply is the answer");
    }

    [Test]
    public void ARequestRegisteredAfterItsInterruptStartsCancelled()
    {
        _requests.Interrupt(20, 21);
        using var late = _requests.Register(20);
        Assert.That(late.Token.IsCancellationRequested, Is.True);
        Wait(InterruptibleRequests.UnclaimedWait * 2);
        Assert.That(_requests.TryTakeUnclaimed(out _), Is.False, "claimed by its request");
        using var next = _requests.Register(22);
        Assert.That(next.Token.IsCancellationRequested, Is.False, "the interrupt was used up");
    }

    [Test]
    public void AnUnmatchedInterruptIsAnsweredAfterItsWaitOnce()
    {
        _requests.Interrupt(30, 31);
        Wait(InterruptibleRequests.UnclaimedWait / 2);
        Assert.That(_requests.TryTakeUnclaimed(out _), Is.False, "still waiting for its request to register");
        Wait(InterruptibleRequests.UnclaimedWait);
        Assert.That(_requests.TryTakeUnclaimed(out ulong interrupt), Is.True);
        Assert.That(interrupt, Is.EqualTo(31UL), "the INTERRUPT's own unique, which the EAGAIN answers");
        Assert.That(_requests.TryTakeUnclaimed(out _), Is.False);
        using var registered = _requests.Register(30);
        Assert.That(registered.Token.IsCancellationRequested, Is.False, "answered EAGAIN: the kernel sends it again if it still matters");
    }

    [Test]
    public void AnInterruptForAFinishedRequestIsKeptNotApplied()
    {
        var finished = _requests.Register(40);
        finished.Dispose();
        Assert.DoesNotThrow(() => _requests.Interrupt(40, 41), "no cancellation of a disposed source");
        Wait(InterruptibleRequests.UnclaimedWait);
        Assert.That(_requests.TryTakeUnclaimed(out ulong interrupt), Is.True);
        Assert.That(interrupt, Is.EqualTo(41UL));
    }
}
