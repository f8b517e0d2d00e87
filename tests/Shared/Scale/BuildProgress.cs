using System.Diagnostics;
using System.Globalization;

namespace WinReflink.Tests.Scale;

/// <summary>A line on <c>log</c> every few seconds while a tree is built: files done, and the rate since the last line and overall.</summary>
internal sealed class BuildProgress
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly string _what;
    private readonly long _total;
    private readonly TextWriter _log;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _lastTime;
    private long _lastDone;

    public BuildProgress(string what, long total, TextWriter log)
    {
        _what = what;
        _total = total;
        _log = log;
    }

    public TimeSpan Elapsed => _watch.Elapsed;

    public void Done(long done)
    {
        var now = _watch.Elapsed;
        if (now - _lastTime < Interval)
        {
            return;
        }
        double recent = (done - _lastDone) / (now - _lastTime).TotalSeconds;
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[scale-build {DateTime.Now:HH:mm:ss}] {_what}: {done:N0} of {_total:N0} files, {recent:N0} files/s now, {done / now.TotalSeconds:N0} files/s overall"));
        _lastTime = now;
        _lastDone = done;
    }

    public void Note(string line) => _log.WriteLine($"[scale-build {DateTime.Now:HH:mm:ss}] {_what}: {line}");
}
