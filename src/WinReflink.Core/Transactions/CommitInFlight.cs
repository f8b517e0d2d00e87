using WinReflink.Core.Cache;
using WinReflink.Core.Extents;
using WinReflink.Core.Metadata;

namespace WinReflink.Core.Transactions;

/// <summary>
/// The committing transaction: captured under the volume lock, written to disk without it, finished
/// under it again. It keeps what the copy-on-write decision and a failure report still need while the
/// write runs: the inodes it changed and the blocks it saw unshared (the durable commit before it
/// still has them shared).
/// </summary>
internal sealed class CommitInFlight
{
    public CommitInFlight(long sequence, CommitRecord record, WriteBatch dirty, ChangeSet changes, RangeSet unshared)
    {
        Sequence = sequence;
        Record = record;
        Dirty = dirty;
        Changes = changes;
        Unshared = unshared;
    }

    /// <summary>The transaction's number; commits become durable in this order.</summary>
    public long Sequence { get; }
    public CommitRecord Record { get; }
    /// <summary>The blocks dirty at the capture, in flight until the write lands them.</summary>
    public WriteBatch Dirty { get; }
    public ChangeSet Changes { get; }
    public RangeSet Unshared { get; }

    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the write failed (the volume has failed with it). Read after <see cref="WaitWritten"/>.</summary>
    public bool Failed { get; private set; }

    public bool IsWritten => _written.Task.IsCompleted;

    /// <summary>The write has ended, durable or failed; whoever holds the volume lock next finishes the commit.</summary>
    public void SetWritten(bool failed)
    {
        Failed = failed;
        _written.SetResult();
    }

    /// <summary>Waits until the write has ended. Safe with the volume lock held: the write never takes it.</summary>
    public void WaitWritten() => _written.Task.Wait();
}
