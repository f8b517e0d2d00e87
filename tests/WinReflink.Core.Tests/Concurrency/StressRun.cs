using System.Globalization;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// How long the concurrency tests run their threads: a few seconds each by default, so the folder
/// stays under half a minute on two busy cores. WINREFLINK_STRESS_SECONDS=N runs each for N seconds
/// instead (a long stress run, e.g. overnight). The watchdog is generous: a thread still busy a
/// minute after the run should have ended is hung, not slow.
/// </summary>
internal static class StressRun
{
    public const string Variable = "WINREFLINK_STRESS_SECONDS";

    public static TimeSpan Duration(double defaultSeconds)
    {
        string? text = Environment.GetEnvironmentVariable(Variable);
        if (text == null)
        {
            return TimeSpan.FromSeconds(defaultSeconds);
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0)
        {
            throw new ArgumentException($"{Variable} must be a positive number of seconds, not \"{text}\"");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    public static TimeSpan Watchdog(TimeSpan duration) => duration + TimeSpan.FromSeconds(60);
}
