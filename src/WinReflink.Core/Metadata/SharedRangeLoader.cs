using WinReflink.Core.Errors;
using WinReflink.Core.Extents;

namespace WinReflink.Core.Metadata;

/// <summary>
/// Reads rows of the shared table by physical range for <see cref="RefcountTable"/>'s segments
/// (issue 11), through two prepared statements on a read-only connection of its own
/// (<see cref="ReadConnection"/>, as <see cref="InodeLoader"/>'s): in WAL mode it reads the last durable commit, which is the
/// truth for every segment the table does not hold (the table keeps each segment changed since that
/// commit resident). Each row is verified as the full load verifies it; a damaged one is thrown as
/// <see cref="CorruptionException"/>. Thread-safe: reads take turns on the one connection.
/// </summary>
internal sealed class SharedRangeLoader : IStoredSharedRanges, IDisposable
{
    private readonly ReadConnection _db;
    private readonly Lock _gate = new();
    private readonly RowChecksums _checksums = new();
    private readonly bool _verify;
    private readonly RowReader? _range;
    private readonly RowReader? _before;

    /// <param name="verify">Whether the rows carry checksums (format version 2 on).</param>
    public SharedRangeLoader(string metaDb, bool verify)
    {
        _verify = verify;
        _db = new ReadConnection(metaDb);
        try
        {
            _range = Prepare("SELECT start, length, refs FROM shared WHERE start >= ?1 AND start < ?2 ORDER BY start");
            _before = Prepare("SELECT start, length, refs FROM shared WHERE start < ?1 ORDER BY start DESC LIMIT 1");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private RowReader Prepare(string select) => _db.Prepare(StoredRows.WithChecksum(select, _verify));

    public void Read(long from, long to, List<(long Start, SharedRange Range)> rows)
    {
        lock (_gate)
        {
            Guarded(_range!, from, () =>
            {
                _range!.Bind(1, from);
                _range.Bind(2, to);
                while (_range.Read())
                {
                    rows.Add(Row(_range));
                }
            });
        }
    }

    public bool TryLastBefore(long block, out long start, out SharedRange range)
    {
        (long, SharedRange)? found = null;
        lock (_gate)
        {
            Guarded(_before!, block, () =>
            {
                _before!.Bind(1, block);
                if (_before.Read())
                {
                    found = Row(_before);
                }
            });
        }
        (start, range) = found ?? (0, default);
        return found != null;
    }

    /// <summary>The current row, verified: its checksum, a positive length, and a count that fits the table's 31 bits.</summary>
    private (long Start, SharedRange Range) Row(RowReader r)
    {
        if (_verify && _checksums.Mismatch("shared", r, r.FieldCount - 1) is { } damaged)
        {
            throw new CorruptionException($"row does not match its checksum: {damaged}", 0, r.GetInt64(0));
        }
        long start = r.GetInt64(0), length = r.GetInt64(1), refs = r.GetInt64(2);
        if (start < 0 || length <= 0 || refs is < 2 or > int.MaxValue)
        {
            throw new CorruptionException($"shared row with a value out of range: start {start}, length {length}, refs {refs}", 0, start);
        }
        return (start, new SharedRange(length, (int)refs));
    }

    /// <summary>Runs a read on a reset statement in one read transaction (<see cref="ReadConnection.Read"/>), and leaves the statement reset.</summary>
    private void Guarded(RowReader query, long block, Action read)
    {
        query.Reset();
        _db.Read(() =>
        {
            read();
            return true;
        }, query.Reset, 0, block);
    }

    public void Dispose()
    {
        _range?.Dispose();
        _before?.Dispose();
        _db.Dispose();
    }
}
