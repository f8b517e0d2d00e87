using System.Globalization;

namespace WinReflink.Cli.Infrastructure;

/// <summary>Sizes as people type and read them: binary units (K = 1024), exact bytes alongside.</summary>
internal static class ByteSize
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>
    /// Parses "4096", "64G", "1.5T", "512KiB", "4k": a number with an optional K, M, G, T or P suffix
    /// (binary units, case-insensitive), optionally followed by "B" or "iB". The result must be whole bytes.
    /// </summary>
    public static bool TryParse(string text, out long bytes, out string error)
    {
        bytes = 0;
        string s = text.Trim();
        int end = s.Length;
        while (end > 0 && char.IsAsciiLetter(s[end - 1]))
        {
            end--;
        }
        string number = s[..end];
        string suffix = s[end..].ToUpperInvariant();
        int shift = suffix switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            "P" or "PB" or "PIB" => 50,
            _ => -1,
        };
        if (shift < 0)
        {
            error = $"invalid size '{text}': unknown unit '{s[end..]}' (use K, M, G, T or P, binary units)";
            return false;
        }
        if (number.Length == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            error = $"invalid size '{text}': expected a number with an optional K, M, G, T or P suffix, like 64G";
            return false;
        }
        decimal exact;
        try
        {
            exact = value * (1L << shift);
        }
        catch (OverflowException)
        {
            error = $"invalid size '{text}': too large";
            return false;
        }
        if (exact > long.MaxValue)
        {
            error = $"invalid size '{text}': too large";
            return false;
        }
        if (exact != decimal.Truncate(exact))
        {
            error = $"invalid size '{text}': not a whole number of bytes";
            return false;
        }
        bytes = (long)exact;
        error = "";
        return true;
    }

    /// <summary>"1.5 GiB": three significant figures or so, for human output next to exact bytes.</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        string format = value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary>"1.5 GiB (1610612736 bytes)".</summary>
    public static string FormatExact(long bytes) =>
        bytes < 1024 ? Format(bytes) : $"{Format(bytes)} ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)";
}
