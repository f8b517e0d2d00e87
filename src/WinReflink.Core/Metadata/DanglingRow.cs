namespace WinReflink.Core.Metadata;

/// <summary>A row found at load that belongs to no object: its table, and what it is in words (as `check` prints it).</summary>
internal sealed record DanglingRow(string Table, string What)
{
    public override string ToString() => What;
}
