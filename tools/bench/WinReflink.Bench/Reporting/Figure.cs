namespace WinReflink.Bench.Reporting;

/// <summary>A figure set beside the engine's: a peer's (dd) or another engine measurement's.</summary>
/// <param name="Ratio">Engine relative to the reference, oriented so that higher is better for the engine.</param>
internal sealed record Comparison(string Label, double Value, string Unit, double Ratio);

/// <summary>A goal from the issue and whether this run met it. Benchmarks report goals; they never fail on them.</summary>
internal sealed record Goal(string Text, bool Met);

/// <summary>One measured figure: a table row, and a member of the JSON report under <see cref="Key"/>.</summary>
internal sealed record Figure(string Key, string Label, double Value, string Unit)
{
    public Comparison? Against { get; init; }
    public Goal? Goal { get; init; }
}
