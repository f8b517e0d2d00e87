namespace WinReflink.Core.Check;

/// <summary>
/// Counts a stored check's work into <see cref="CheckProgress"/> reports. Each phase is given its
/// share of the overall total when the check starts (its estimate) and its own total when it starts;
/// the overall done count is the shares of the phases ended plus the running phase's items, held
/// below its share, so it only grows and ends at the total whatever the phases really did.
/// Items are counted one by one (rows read) or, for work SQLite does inside one statement, derived
/// from the virtual machine instructions it ran (<see cref="Instructions"/>).
/// </summary>
internal sealed class CheckProgressCounter
{
    private readonly Action<CheckProgress>? _report;
    private readonly int _step;
    private string _phase = "";
    private long _phaseDone;
    private long _phaseTotal;
    private long _phaseShare;
    private long _endedShares;
    /// <summary>SQLite instructions per item in the running phase; 0 when its items are counted one by one.</summary>
    private long _instructionsPerItem;
    private long _instructions;

    /// <param name="step">Items between two reports (at least 1).</param>
    public CheckProgressCounter(Action<CheckProgress>? report, int step)
    {
        _report = report;
        _step = Math.Max(1, step);
    }

    /// <summary>The overall total: the sum of the phases' shares, set once the rows are counted (0 before: the first phase counts them).</summary>
    public long Total { get; set; }

    /// <summary>Items counted in the running phase.</summary>
    public long PhaseDone => _phaseDone;

    /// <summary>
    /// Starts a phase of <paramref name="total"/> items whose share of the overall total is
    /// <paramref name="share"/>. With <paramref name="instructionsPerItem"/> above 0, the phase's
    /// items are SQLite's instructions divided by it (an estimate held below the total).
    /// </summary>
    public void Begin(string phase, long share, long total, long instructionsPerItem = 0)
    {
        _phase = phase;
        _phaseDone = 0;
        _phaseTotal = Math.Max(0, total);
        _phaseShare = Math.Max(0, share);
        _instructionsPerItem = instructionsPerItem;
        _instructions = 0;
        Report(ended: false);
    }

    /// <summary>Ends the running phase at its total, its whole share counted.</summary>
    public void End()
    {
        _phaseDone = Math.Max(_phaseDone, _phaseTotal);
        _endedShares += _phaseShare;
        _phaseShare = 0;
        Report(ended: true);
    }

    /// <summary>Another phase total when the phase learns it (never below what is done).</summary>
    public void SetPhaseTotal(long total) => _phaseTotal = Math.Max(total, _phaseDone);

    public void Item()
    {
        _phaseDone++;
        if (_phaseDone % _step == 0)
        {
            Report(ended: false);
        }
    }

    /// <summary>
    /// SQLite ran <paramref name="count"/> more instructions (its progress handler): in a phase of
    /// SQL work they advance the items; in any phase they report, so a long statement (a sort before
    /// a query's first row) still shows the check alive.
    /// </summary>
    public void Instructions(long count)
    {
        if (_instructionsPerItem > 0)
        {
            _instructions += count;
            _phaseDone = Math.Max(_phaseDone, Math.Min(_instructions / _instructionsPerItem, _phaseTotal - 1));
        }
        Report(ended: false);
    }

    private void Report(bool ended)
    {
        if (_report != null)
        {
            long done = Math.Min(Total, _endedShares + Math.Min(_phaseDone, _phaseShare));
            _report(new CheckProgress(_phase, Math.Min(_phaseDone, _phaseTotal), _phaseTotal, done, Total, ended));
        }
    }
}
