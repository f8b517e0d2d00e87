namespace WinReflink.PowerShell.Objects;

/// <summary>One broken invariant the checker found, as Test-ReflinkVolume writes it.</summary>
public sealed class ReflinkViolation
{
    public string VolumePath { get; init; } = "";
    public int Invariant { get; init; }
    public string What { get; init; } = "";
    public long? Ino { get; init; }
    public long? Block { get; init; }
    public string Expected { get; init; } = "";
    public string Found { get; init; } = "";
}
