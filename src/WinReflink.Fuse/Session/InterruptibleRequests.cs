namespace WinReflink.Fuse.Session;

/// <summary>
/// The requests FUSE_INTERRUPT can stop, while they run (copy_file_range and the clone ioctl, the only
/// long ones), and the INTERRUPTs that named a request not registered here.
/// The kernel's protocol (Documentation/filesystems/fuse.rst, "Interrupting filesystem operations"):
/// an INTERRUPT is queued only once its request has been read from /dev/fuse, and it is read before
/// other requests, so another worker may read it before the worker holding its request registers it.
/// Or that request was answered already, or is a short one this host does not stop. So an INTERRUPT
/// not matched is kept: a request that registers later starts cancelled; one kept longer than
/// <see cref="UnclaimedWait"/> is handed out to be answered EAGAIN, on which the kernel sends it again
/// if its request still waits (and drops the answer if not).
/// Invariant: a unique is in at most one of the two maps. The kept INTERRUPTs are bounded by the
/// requests in flight: the kernel sends one per request until it is answered EAGAIN.
/// </summary>
internal sealed class InterruptibleRequests
{
    public static readonly TimeSpan UnclaimedWait = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, CancellationTokenSource> _running = [];
    private readonly Dictionary<ulong, Unclaimed> _unclaimed = [];
    private readonly Func<long> _clockMs;
    // Read without the lock so that every request's look for unclaimed INTERRUPTs costs nothing when none is kept.
    private volatile int _unclaimedCount;

    private readonly record struct Unclaimed(ulong Interrupt, long SinceMs);

    /// <param name="clockMs">Milliseconds of a monotonic clock; tests pass their own.</param>
    public InterruptibleRequests(Func<long>? clockMs = null)
    {
        _clockMs = clockMs ?? (() => Environment.TickCount64);
    }

    /// <summary>
    /// Makes request <paramref name="unique"/> interruptible until the registration is disposed: an
    /// INTERRUPT naming it cancels its token, at once if the INTERRUPT came first.
    /// </summary>
    public Registration Register(ulong unique)
    {
        var source = new CancellationTokenSource();
        lock (_lock)
        {
            if (_unclaimed.Remove(unique))
            {
                _unclaimedCount = _unclaimed.Count;
                source.Cancel();
            }
            _running[unique] = source;
        }
        return new Registration(this, unique, source);
    }

    /// <summary>FUSE_INTERRUPT <paramref name="interrupt"/> (its own unique) names request <paramref name="target"/>.</summary>
    public void Interrupt(ulong target, ulong interrupt)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(target, out var source))
            {
                // Under the lock, so the registration cannot dispose the source meanwhile; nothing
                // registers callbacks on these tokens, so Cancel runs no foreign code here.
                source.Cancel();
                return;
            }
            _unclaimed[target] = new Unclaimed(interrupt, _clockMs());
            _unclaimedCount = _unclaimed.Count;
        }
    }

    /// <summary>An INTERRUPT kept unmatched for <see cref="UnclaimedWait"/> or longer, now forgotten: the caller answers it EAGAIN.</summary>
    public bool TryTakeUnclaimed(out ulong interrupt)
    {
        interrupt = 0;
        if (_unclaimedCount == 0)
        {
            return false;
        }
        long now = _clockMs();
        lock (_lock)
        {
            foreach (var (target, kept) in _unclaimed)
            {
                if (now - kept.SinceMs >= UnclaimedWait.TotalMilliseconds)
                {
                    _unclaimed.Remove(target);
                    _unclaimedCount = _unclaimed.Count;
                    interrupt = kept.Interrupt;
                    return true;
                }
            }
        }
        return false;
    }

    private void Unregister(ulong unique, CancellationTokenSource source)
    {
        lock (_lock)
        {
            _running.Remove(unique);
        }
        source.Dispose();
    }

    /// <summary>One request's interruptibility, for the time the request runs.</summary>
    public sealed class Registration : IDisposable
    {
        private readonly InterruptibleRequests _owner;
        private readonly ulong _unique;
        private readonly CancellationTokenSource _source;

        internal Registration(InterruptibleRequests owner, ulong unique, CancellationTokenSource source)
        {
            _owner = owner;
            _unique = unique;
            _source = source;
            Token = source.Token;
        }

        public CancellationToken Token { get; }

        public void Dispose() => _owner.Unregister(_unique, _source);
    }
}
