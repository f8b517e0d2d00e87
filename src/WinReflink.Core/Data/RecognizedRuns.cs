using WinReflink.Core.Locking;

namespace WinReflink.Core.Data;

/// <summary>
/// One run a write does not write: its logical blocks are to map the physical blocks from
/// <see cref="Physical"/> on, which hold the write's bytes; <see cref="Unchanged"/> when the file maps
/// them there already.
/// </summary>
internal readonly record struct RecognizedRun(long Logical, long Physical, long Count, bool Unchanged);

/// <summary>
/// What <see cref="CopyRecognizer.Find"/> answers for one write: the runs it need not write, in
/// logical order and disjoint, and the other files' locks that keep the runs' bytes from changing
/// until <see cref="Dispose"/>.
/// </summary>
internal sealed class RecognizedRuns : IDisposable
{
    public List<RecognizedRun> Runs { get; } = new();

    /// <summary>Inode locks taken for the runs (<see cref="EngineLocks.TryHoldShared"/>).</summary>
    public List<ReaderWriterLockSlim> Held { get; } = new();

    /// <summary>Blocks of all the runs.</summary>
    public long Blocks { get; private set; }

    /// <summary>Appends a run, merged with the previous one when it continues it logically and physically, and is of its kind.</summary>
    public void Add(long logical, long physical, long count, bool unchanged)
    {
        Blocks += count;
        if (Runs.Count > 0 && Runs[^1] is var last && last.Unchanged == unchanged
            && last.Logical + last.Count == logical && last.Physical + last.Count == physical)
        {
            Runs[^1] = last with { Count = last.Count + count };
            return;
        }
        Runs.Add(new RecognizedRun(logical, physical, count, unchanged));
    }

    public void Dispose() => EngineLocks.ReleaseHeld(Held);
}
