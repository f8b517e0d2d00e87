namespace WinReflink.Core.Locking;

/// <summary>
/// The engine's two levels of locks. The volume lock is a reader/writer lock. Nearly every call takes
/// it shared and under it the locks of the inodes it reads or changes (<see cref="Inode"/>,
/// <see cref="Inodes"/>, <see cref="InodesExclusive"/>), shared to read and exclusive to change, as
/// XFS's i_rwsem under its freeze protection: a read or write takes its file's, a create or unlink its
/// directory's (and the victim's), a rename both directories' and the two inodes', a setattr its
/// inode's. So calls on different inodes run together, reads of one inode too. A few calls take the
/// volume lock exclusively and need nothing else: those that change what many inodes share at once
/// (a directory moved: the ancestry check walks parents; the commit's capture and finish; repair),
/// and a shared-mode write, truncate or fallocate that finds its blocks not plainly free runs again
/// so, where the exact free-space check may commit. Calls that read only fields changed whole (getattr, readlink,
/// getxattr) take it shared alone (<see cref="Shared"/>).
/// What shared-mode calls touch beyond their inodes has its own short lock: the space
/// (<see cref="Space.BlockSpace"/>), the running transaction's sets (<see cref="Transactions.Transaction"/>),
/// the cache (<see cref="Cache.ExtentCache"/>), the security descriptors, the orphan list, and each
/// inode's lifetime fields (its monitor, <see cref="Namespace.Inode"/>); each is taken inside the inode
/// locks and never the other way round.
/// Inode locks are striped over a fixed table (<see cref="Stripes"/>), so their memory does not grow
/// with the number of inodes. A call on several inodes takes their stripes in stripe order, each
/// once, as XFS's xfs_lock_two_inodes takes two inodes in inode order: with every holder of several
/// stripes taking them in one order, no cycle of waits can form. A call that must learn which inodes
/// to lock (an unlink, a rename) looks them up first, takes the locks, and checks that the names
/// still name them, starting over when not.
/// Neither level is recursive: a call that holds a lock never asks for it again.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The locks live as long as the FileSystem, and a host call racing its Dispose must still find them usable (it then answers from the closed state); they hold no handle until contended, and the GC reclaims those.")]
internal sealed class EngineLocks
{
    /// <summary>Stripes of inode locks: enough that two busy files rarely share one on two cores or sixteen.</summary>
    public const int Stripes = 256;

    private readonly ReaderWriterLockSlim _volume = new(LockRecursionPolicy.NoRecursion);
    private readonly ReaderWriterLockSlim[] _inodes = new ReaderWriterLockSlim[Stripes];

    public EngineLocks()
    {
        for (int i = 0; i < _inodes.Length; i++)
        {
            _inodes[i] = new ReaderWriterLockSlim(LockRecursionPolicy.NoRecursion);
        }
    }

    /// <summary>Whether the calling thread holds the volume lock exclusively (for assertions).</summary>
    public bool HeldExclusively => _volume.IsWriteLockHeld;

    /// <summary>Whether the calling thread holds the volume lock in either mode (for assertions).</summary>
    public bool Held => _volume.IsWriteLockHeld || _volume.IsReadLockHeld;

    /// <summary>The volume lock alone and exclusively: every other call waits until the scope ends.</summary>
    public Scope Exclusive()
    {
        _volume.EnterWriteLock();
        return new Scope(_volume, exclusive: true, null, false, null, false);
    }

    /// <summary>
    /// The volume lock alone and shared: for calls that take no inode lock, so they run beside every
    /// other shared-mode call (getattr, readlink, getxattr, the hold counts). They read fields a
    /// change under the inode's lock replaces whole (size, times, mode, link count, an xattr map, a
    /// descriptor id), so they may see a change half made across fields but never a field torn, as
    /// Linux's getattr reads an inode it does not lock.
    /// </summary>
    public Scope Shared()
    {
        _volume.EnterReadLock();
        return new Scope(_volume, exclusive: false, null, false, null, false);
    }

    /// <summary>
    /// The volume lock shared and <paramref name="ino"/>'s lock, exclusive when <paramref name="write"/>:
    /// calls on other inodes, and reads of this one, go on meanwhile.
    /// </summary>
    public Scope Inode(long ino, bool write)
    {
        _volume.EnterReadLock();
        var stripe = _inodes[StripeOf(ino)];
        try
        {
            Enter(stripe, write);
        }
        catch
        {
            _volume.ExitReadLock();
            throw;
        }
        return new Scope(_volume, exclusive: false, stripe, write, null, false);
    }

    /// <summary>
    /// The volume lock shared and the locks of two inodes: <paramref name="a"/>'s exclusive when
    /// <paramref name="aWrite"/>, <paramref name="b"/>'s when <paramref name="bWrite"/>. Taken in stripe
    /// order; one stripe (the same inode, or two inodes that share a stripe) is taken once, exclusive
    /// when either asks for it so.
    /// </summary>
    public Scope Inodes(long a, bool aWrite, long b, bool bWrite)
    {
        int sa = StripeOf(a), sb = StripeOf(b);
        if (sa == sb)
        {
            return Inode(a, aWrite || bWrite);
        }
        var (first, firstWrite, second, secondWrite) = sa < sb ? (sa, aWrite, sb, bWrite) : (sb, bWrite, sa, aWrite);
        _volume.EnterReadLock();
        bool firstTaken = false;
        try
        {
            Enter(_inodes[first], firstWrite);
            firstTaken = true;
            Enter(_inodes[second], secondWrite);
        }
        catch
        {
            if (firstTaken)
            {
                Scope.Exit(_inodes[first], firstWrite);
            }
            _volume.ExitReadLock();
            throw;
        }
        return new Scope(_volume, exclusive: false, _inodes[second], secondWrite, _inodes[first], firstWrite);
    }

    /// <summary>
    /// The volume lock shared and the locks of up to four inodes exclusive (a rename: two directories,
    /// the moved inode and the one it replaces; a negative number is no inode). Taken in stripe order,
    /// each stripe once, as <see cref="Inodes"/> does.
    /// </summary>
    public Scope InodesExclusive(long a, long b, long c, long d)
    {
        Span<int> stripes = stackalloc int[4];
        int count = 0;
        foreach (long ino in (ReadOnlySpan<long>)[a, b, c, d])
        {
            if (ino >= 0)
            {
                stripes[count++] = StripeOf(ino);
            }
        }
        stripes = stripes[..count];
        stripes.Sort();
        var taken = new List<ReaderWriterLockSlim>(count);
        _volume.EnterReadLock();
        try
        {
            for (int i = 0; i < stripes.Length; i++)
            {
                if (i == 0 || stripes[i] != stripes[i - 1])
                {
                    _inodes[stripes[i]].EnterWriteLock();
                    taken.Add(_inodes[stripes[i]]);
                }
            }
        }
        catch
        {
            Scope.ExitAll(taken);
            _volume.ExitReadLock();
            throw;
        }
        return new Scope(_volume, taken);
    }

    private static void Enter(ReaderWriterLockSlim stripe, bool write)
    {
        if (write)
        {
            stripe.EnterWriteLock();
        }
        else
        {
            stripe.EnterReadLock();
        }
    }

    /// <summary>
    /// Within a call holding the volume lock shared and its own inode locks: <paramref name="ino"/>'s lock
    /// shared, taken only if that needs no wait, and added to <paramref name="held"/> for
    /// <see cref="ReleaseHeld"/>. True when the calling thread holds it now (taken here, or held already
    /// in either mode: its own file, a stripe it shares, one taken earlier into <paramref name="held"/>).
    /// Never waiting is what keeps this outside the stripe order: a call holding stripes may ask for any
    /// other, and no cycle of waits can form. A write that shares another file's block takes that file's
    /// lock this way, so the file cannot overwrite the block in place meanwhile (issue 10).
    /// </summary>
    public bool TryHoldShared(long ino, List<ReaderWriterLockSlim> held)
    {
        var stripe = _inodes[StripeOf(ino)];
        if (stripe.IsWriteLockHeld || stripe.IsReadLockHeld)
        {
            return true;
        }
        if (!stripe.TryEnterReadLock(0))
        {
            return false;
        }
        held.Add(stripe);
        return true;
    }

    /// <summary>Lets go of what <see cref="TryHoldShared"/> took, and empties the list.</summary>
    public static void ReleaseHeld(List<ReaderWriterLockSlim> held)
    {
        for (int i = held.Count - 1; i >= 0; i--)
        {
            held[i].ExitReadLock();
        }
        held.Clear();
    }

    /// <summary>Whether the calling thread holds <paramref name="ino"/>'s lock exclusively, or the volume lock so (for assertions).</summary>
    public bool HeldForWrite(long ino) => _volume.IsWriteLockHeld || _inodes[StripeOf(ino)].IsWriteLockHeld;

    /// <summary>Fibonacci hashing: consecutive inode numbers (files created together) land far apart. The top 8 bits: <see cref="Stripes"/> is 256.</summary>
    internal static int StripeOf(long ino) => (int)((ulong)ino * 0x9E3779B97F4A7C15UL >> 56);

    /// <summary>Releases what <see cref="Exclusive"/>, <see cref="Inode"/>, <see cref="Inodes"/> or <see cref="InodesExclusive"/> took: the inode locks (the later-taken first), then the volume lock.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly ReaderWriterLockSlim _volume;
        private readonly bool _exclusive;
        private readonly ReaderWriterLockSlim? _inode;
        private readonly bool _inodeWrite;
        private readonly ReaderWriterLockSlim? _earlier;
        private readonly bool _earlierWrite;
        /// <summary>Stripes taken exclusively by <see cref="InodesExclusive"/>, in the order taken.</summary>
        private readonly List<ReaderWriterLockSlim>? _several;

        internal Scope(ReaderWriterLockSlim volume, bool exclusive, ReaderWriterLockSlim? inode, bool inodeWrite, ReaderWriterLockSlim? earlier, bool earlierWrite)
        {
            _volume = volume;
            _exclusive = exclusive;
            _inode = inode;
            _inodeWrite = inodeWrite;
            _earlier = earlier;
            _earlierWrite = earlierWrite;
            _several = null;
        }

        internal Scope(ReaderWriterLockSlim volume, List<ReaderWriterLockSlim> several)
        {
            _volume = volume;
            _exclusive = false;
            _inode = null;
            _inodeWrite = false;
            _earlier = null;
            _earlierWrite = false;
            _several = several;
        }

        public void Dispose()
        {
            if (_inode != null)
            {
                Exit(_inode, _inodeWrite);
            }
            if (_earlier != null)
            {
                Exit(_earlier, _earlierWrite);
            }
            if (_several != null)
            {
                ExitAll(_several);
            }
            if (_exclusive)
            {
                _volume.ExitWriteLock();
            }
            else
            {
                _volume.ExitReadLock();
            }
        }

        internal static void ExitAll(List<ReaderWriterLockSlim> taken)
        {
            for (int i = taken.Count - 1; i >= 0; i--)
            {
                taken[i].ExitWriteLock();
            }
        }

        internal static void Exit(ReaderWriterLockSlim stripe, bool write)
        {
            if (write)
            {
                stripe.ExitWriteLock();
            }
            else
            {
                stripe.ExitReadLock();
            }
        }
    }
}
