namespace WinReflink.PowerShell.Objects;

/// <summary>One extent of a file on a mounted volume, as Get-ReflinkExtent writes it.</summary>
public sealed class ReflinkExtent
{
    public string Path { get; init; } = "";
    public long LogicalOffset { get; init; }
    public long PhysicalOffset { get; init; }
    public long Length { get; init; }
    /// <summary>How many files' extents use these blocks (1: not shared).</summary>
    public int ShareCount { get; init; }
    /// <summary>Allocated but never written: reads as zeros.</summary>
    public bool Unwritten { get; init; }
}
