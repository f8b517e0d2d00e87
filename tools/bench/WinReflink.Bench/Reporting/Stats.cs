namespace WinReflink.Bench.Reporting;

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no samples", nameof(values));
        }
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Decimal megabytes per second, the unit dd prints.</summary>
    public static double MegabytesPerSecond(long bytes, double seconds) => bytes / seconds / 1e6;
}
