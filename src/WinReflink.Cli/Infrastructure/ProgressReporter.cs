using System.Diagnostics;
using System.Globalization;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Copy progress on stderr: percent, bytes and MiB/s. On a terminal it redraws one line and appears
/// only once a copy has run for half a second; with --progress on a pipe it prints a line every two
/// seconds and always a final line, so scripts and logs see the figures.
/// </summary>
internal sealed class ProgressReporter
{
    private static readonly TimeSpan ShowAfter = TimeSpan.FromMilliseconds(500);

    private readonly TextWriter _error;
    private readonly string _label;
    private readonly long _total;
    private readonly bool _enabled;
    private readonly bool _terminal;
    private readonly bool _forced;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _lastDraw = TimeSpan.Zero;
    private bool _drawn;

    /// <param name="total">Bytes expected, or -1 when unknown (a pipe).</param>
    public ProgressReporter(CliContext context, string label, long total, bool forced)
    {
        _error = context.Error;
        _label = label;
        _total = total;
        _terminal = context.ErrorIsTerminal;
        _forced = forced;
        _enabled = forced || _terminal;
    }

    public void Report(long done)
    {
        if (!_enabled)
        {
            return;
        }
        var now = _watch.Elapsed;
        var interval = _terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(2);
        if (now < ShowAfter || now - _lastDraw < interval)
        {
            return;
        }
        _lastDraw = now;
        Draw(done, final: false);
    }

    public void Finish(long done)
    {
        if (_enabled && (_drawn || _forced))
        {
            Draw(done, final: true);
        }
    }

    private void Draw(long done, bool final)
    {
        double seconds = Math.Max(_watch.Elapsed.TotalSeconds, 1e-3);
        string percent = _total > 0 ? $"{100.0 * done / _total,5:0.0}% " : _total == 0 ? "100.0% " : "";
        string of = _total >= 0 ? " of " + ByteSize.Format(_total) : "";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_label}: {percent}{ByteSize.Format(done)}{of}, {done / seconds / (1 << 20):0.0} MiB/s");
        if (final)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", {seconds:0.00} s");
        }
        if (_terminal)
        {
            _error.Write("\r" + line.PadRight(72) + (final ? "\n" : ""));
        }
        else
        {
            _error.WriteLine(line);
        }
        _error.Flush();
        _drawn = true;
    }
}
