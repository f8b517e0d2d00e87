namespace WinReflink.Core.Check;

/// <summary>
/// How far a check of a stored volume has got: the phase running (named for what it verifies), its
/// items done of its total, and the rows verified over the whole check of the estimate made at its
/// start. <see cref="Total"/> is 0 during the first phase, which counts the rows, and does not change
/// after; <see cref="Done"/> only grows and ends equal to it;
/// a phase's total may be an estimate its done count stays below until the phase ends at its total.
/// A phase is reported when it starts (done 0) and when it ends (<see cref="Ended"/>, done = total),
/// and in between at least every few milliseconds of work, also while SQLite works inside one statement.
/// </summary>
public readonly record struct CheckProgress(string Phase, long PhaseDone, long PhaseTotal, long Done, long Total, bool Ended);
