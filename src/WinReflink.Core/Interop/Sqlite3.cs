using System.Runtime.InteropServices;

namespace WinReflink.Core.Interop;

/// <summary>
/// SQLite's per-row calls, declared on raw statement pointers for the one hot path that needs it:
/// reading rows (<see cref="Metadata.RowReader"/>). SQLitePCLRaw's own declarations take a SafeHandle,
/// and its reference count (two interlocked operations a call) cost as much as the column read did
/// once per column of every row loaded. Everything else (open, prepare, errors, close) stays with
/// SQLitePCLRaw, which loaded the same library ("e_sqlite3", resolved from the application's native
/// assets as SQLitePCLRaw resolves it), so these calls run on the handles it made.
/// The column calls neither block nor call back into .NET, so they skip the GC transition.
/// Invariant on every call: the statement pointer is live (its SafeHandle not yet disposed) or zero,
/// which SQLite answers as an empty statement.
/// </summary>
internal static partial class Sqlite3
{
    private const string Library = "e_sqlite3";

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int Step(nint statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    public static partial int Reset(nint statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [SuppressGCTransition]
    public static partial int BindInt64(nint statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    [SuppressGCTransition]
    public static partial int ColumnType(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    [SuppressGCTransition]
    public static partial long ColumnInt64(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_double")]
    [SuppressGCTransition]
    public static partial double ColumnDouble(nint statement, int column);

    /// <summary>A text's UTF-8 bytes or a blob's bytes, unconverted (null for an empty value); valid until the row changes.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_column_blob")]
    [SuppressGCTransition]
    public static partial nint ColumnBlob(nint statement, int column);

    /// <summary>The byte length of what <see cref="ColumnBlob"/> returned; call it after, as SQLite asks.</summary>
    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    [SuppressGCTransition]
    public static partial int ColumnBytes(nint statement, int column);

    /// <summary>The bytes <see cref="ColumnBlob"/> and <see cref="ColumnBytes"/> describe, valid until the row changes.</summary>
    public static unsafe ReadOnlySpan<byte> ColumnSpan(nint statement, int column)
    {
        nint bytes = ColumnBlob(statement, column);
        int length = ColumnBytes(statement, column);
        return bytes == 0 ? [] : new ReadOnlySpan<byte>((void*)bytes, length);
    }
}
