namespace WinReflink.Core.Extents;

/// <summary>A run of physical blocks [Start, Start + Length).</summary>
internal readonly record struct BlockRange(long Start, long Length)
{
    public long End => Start + Length;
}

/// <summary>One mapping of a file: logical blocks [Logical, Logical + Length) to physical [Physical, ...).</summary>
internal readonly record struct Extent(long Logical, long Physical, long Length, bool Unwritten)
{
    public long LogicalEnd => Logical + Length;
}

/// <summary>The value stored per extent in an <see cref="ExtentMap"/>, keyed by logical block.</summary>
internal readonly record struct ExtentValue(long Physical, long Length, bool Unwritten);
