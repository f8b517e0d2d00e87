namespace WinReflink.Core.Metadata;

/// <summary>The statements a commit writes to meta.db, each with its SQL and, for rows that carry one, the table whose checksum seals it.</summary>
internal enum RowStatement
{
    Setting,
    InodePut,
    InodeDelete,
    ExtentPut,
    ExtentDelete,
    ExtentDeleteAll,
    DirentPut,
    DirentDelete,
    DirentDeleteAll,
    XattrDeleteAll,
    XattrPut,
    FlagsPut,
    FlagsDelete,
    SharedPut,
    SharedDelete,
    FreePut,
    FreeDelete,
    SecurityPut,
    SecurityDelete,
    OrphansClear,
    OrphanPut,
    DanglingRowsDelete,
}

/// <summary>One row written or deleted: the statement and the values of its parameters, in order (without the checksum).</summary>
internal readonly record struct RowWrite(RowStatement Statement, object?[] Values);

/// <summary>
/// What one commit writes to meta.db, taken from the in-memory state under the volume lock
/// (<see cref="MetadataStore.Capture"/>) so that SQLite can write it while writers go on in the next
/// transaction (<see cref="MetadataStore.Write"/>). It holds values, never references to live state:
/// once captured, nothing the running transaction does changes it.
/// </summary>
internal sealed class CommitRecord
{
    private readonly List<RowWrite> _rows = new();

    public IReadOnlyList<RowWrite> Rows => _rows;

    public void Add(RowStatement statement, params object?[] values) => _rows.Add(new RowWrite(statement, values));
}
