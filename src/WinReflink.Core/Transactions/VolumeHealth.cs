using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Transactions;

/// <summary>
/// The sticky error, as XFS's shutdown and Linux's errseq: once a commit fails, corruption is found,
/// or an engine call fails unexpectedly, the in-memory state can no longer be trusted to reach disk.
/// From then on nothing is committed and every change is refused, until the volume is opened again
/// (which returns it to its last commit). Health is not access: a volume mounted read-only is healthy.
/// Invariant: <see cref="Failure"/> goes from null to a cause once and never back.
/// </summary>
internal sealed class VolumeHealth
{
    private readonly ILogger _logger;
    private readonly string _volume;
    private readonly Action _stopWriting;

    /// <param name="stopWriting">Stops every writer that works on its own (the cache's background write-back): after a failure nothing more reaches the disk.</param>
    public VolumeHealth(ILogger logger, string volume, Action stopWriting)
    {
        _logger = logger;
        _volume = volume;
        _stopWriting = stopWriting;
    }

    private string? _failure;

    /// <summary>Why the volume stopped accepting changes, or null while it is healthy.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    public bool Failed => Failure != null;

    /// <summary>Records the first failure and logs it once; later ones add nothing. Thread-safe: a commit's write fails without the volume lock.</summary>
    public void Fail(string cause, Exception? exception)
    {
        if (Interlocked.CompareExchange(ref _failure, cause, null) != null)
        {
            return;
        }
        _stopWriting();
        _logger.LogCritical(exception, "Volume {Volume} stopped accepting changes: {Cause}. It stays readable; changes since its last commit are lost, and fsync and close of the files they touched fail with EIO until it is opened again",
            _volume, cause);
    }

    /// <summary>
    /// Corruption found while running: stop writing so nothing is written on top of it, naming the
    /// inode and block. The volume stays readable. Returns the error the caller answers.
    /// </summary>
    public FsError Corrupt(string what, long ino, long block)
    {
        Fail($"the volume is corrupt: {what} (inode {ino}, block {block})", null);
        return FsError.Corrupt;
    }

    /// <summary>
    /// The guard of every engine call that changes state, as an exception filter: an exception means
    /// the call stopped halfway (a broken invariant, a failed disk write), so the volume stops and the
    /// call answers EIO. Out of memory is left to the runtime.
    /// </summary>
    public bool Fault(Exception exception, string operation)
    {
        if (exception is OutOfMemoryException)
        {
            return false;
        }
        string cause = exception is CorruptionException c
            ? $"corruption found during {operation}: {c.Message}"
            : $"{operation} failed: {exception.GetType().Name}: {exception.Message}";
        Fail(cause, exception);
        return true;
    }
}
