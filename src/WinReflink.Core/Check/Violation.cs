namespace WinReflink.Core.Check;

/// <summary>One broken invariant, with where it is and what was expected and found.</summary>
public sealed record Violation(int Invariant, string What, long? Ino, long? Block, string Expected, string Found)
{
    public override string ToString()
    {
        string where = (Ino, Block) switch
        {
            (long i, long b) => $"inode {i}, block {b}",
            (long i, null) => $"inode {i}",
            (null, long b) => $"block {b}",
            _ => "volume",
        };
        return $"invariant {Invariant}: {What} ({where}): expected {Expected}, found {Found}";
    }
}
