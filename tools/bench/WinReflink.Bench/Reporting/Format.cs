using System.Globalization;
using System.Text.Json.Nodes;

namespace WinReflink.Bench.Reporting;

internal static class Format
{
    public static string Bytes(long bytes)
    {
        (double value, string unit) = bytes >= 1L << 30 ? (bytes / (double)(1L << 30), "GiB")
            : bytes >= 1L << 20 ? (bytes / (double)(1L << 20), "MiB")
            : (bytes / 1024.0, "KiB");
        return (value == Math.Floor(value) ? value.ToString("F0", CultureInfo.InvariantCulture) : Number(value)) + " " + unit;
    }

    /// <summary>Three or four significant digits: enough for figures that vary by a few percent between runs.</summary>
    public static string Number(double value)
    {
        double a = Math.Abs(value);
        string format = a >= 1000 ? "N0" : a >= 100 ? "F0" : a >= 10 ? "F1" : a >= 1 ? "F2" : a >= 0.01 ? "F3" : "G3";
        return value.ToString(format, CultureInfo.InvariantCulture);
    }

    public static JsonArray Array(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)Math.Round(v, 3)).ToArray());
}
