using System.Globalization;

namespace WinReflink.Bench.Reporting;

/// <summary>
/// The peer measurements the driver script ran on the same disk before the engine ran (`--peer
/// name=seconds[,seconds...]`, one time per run, all over a file of the benchmark's size).
/// </summary>
internal sealed class PeerFigures
{
    public const string WriteFdatasync = "dd_write_fdatasync";
    public const string WriteDirect = "dd_write_direct";
    public const string ReadDirect = "dd_read_direct";
    public const string ReadDirect64K = "dd_read_direct_64k";
    public const string ReadCached = "dd_read_cached";

    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        [WriteFdatasync] = "dd if=/dev/zero bs=1M conv=fdatasync",
        [WriteDirect] = "dd if=/dev/zero bs=1M oflag=direct conv=fdatasync",
        [ReadDirect] = "dd of=/dev/null bs=1M iflag=direct",
        [ReadDirect64K] = "dd of=/dev/null bs=64K iflag=direct",
        [ReadCached] = "dd of=/dev/null bs=1M, page cache, 2nd pass",
    };

    private readonly Dictionary<string, double[]> _seconds;

    private PeerFigures(Dictionary<string, double[]> seconds)
    {
        _seconds = seconds;
    }

    public IReadOnlyDictionary<string, double[]> Seconds => _seconds;

    public static PeerFigures Parse(IEnumerable<string> arguments)
    {
        var seconds = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            int eq = argument.IndexOf('=', StringComparison.Ordinal);
            string name = eq > 0 ? argument[..eq] : "";
            if (!Commands.ContainsKey(name))
            {
                throw new ArgumentException($"--peer {argument}: expected one of {string.Join(", ", Commands.Keys)}=SECONDS[,SECONDS...]");
            }
            var values = argument[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0
                    ? v : throw new ArgumentException($"--peer {argument}: '{s}' is not a positive number of seconds"))
                .ToArray();
            seconds[name] = values.Length > 0 ? values : throw new ArgumentException($"--peer {argument}: no seconds given");
        }
        return new PeerFigures(seconds);
    }

    public static string Command(string name) => Commands[name];

    /// <summary>The peer's median throughput over a file of <paramref name="bytes"/>, or null when it was not measured.</summary>
    public double? MegabytesPerSecond(string name, long bytes)
    {
        return _seconds.TryGetValue(name, out var s) ? Stats.MegabytesPerSecond(bytes, Stats.Median(s)) : null;
    }
}
