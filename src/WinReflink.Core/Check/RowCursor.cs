using Microsoft.Data.Sqlite;
using WinReflink.Core.Metadata;

namespace WinReflink.Core.Check;

/// <summary>
/// One ordered query read a row at a time with the current row always visible, so that several
/// cursors over tables sorted by the same key can be merged (each moves while its key is behind).
/// Holds one row; counts the rows it read into the check's progress.
/// </summary>
internal sealed class RowCursor : IDisposable
{
    private readonly RowReader _reader;
    private readonly Action _rowRead;

    private RowCursor(RowReader reader, Action rowRead)
    {
        _reader = reader;
        _rowRead = rowRead;
    }

    /// <summary>Runs the query and stands on its first row (if any).</summary>
    public static RowCursor Open(SqliteConnection db, string sql, Action rowRead)
    {
        var cursor = new RowCursor(RowReader.Open(db, sql), rowRead);
        cursor.Next();
        return cursor;
    }

    /// <summary>Whether the cursor stands on a row; false once past the last.</summary>
    public bool HasRow { get; private set; }

    /// <summary>The current row; valid while <see cref="HasRow"/>.</summary>
    public RowReader Row => _reader;

    /// <summary>The current row's first column as an integer: the key the merge orders by. Valid while <see cref="HasRow"/>.</summary>
    public long Key => _reader.GetInt64(0);

    public void Next()
    {
        HasRow = _reader.Read();
        if (HasRow)
        {
            _rowRead();
        }
    }

    public void Dispose() => _reader.Dispose();
}
