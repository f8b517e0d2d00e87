using System.Globalization;
using System.Text;

namespace WinReflink.Core.Namespace;

/// <summary>
/// The upper-case mapping that turns a name into its lookup key on a case-insensitive volume. The
/// mapping is stored in the volume (as NTFS stores its $UpCase table), because the runtime's Unicode
/// tables change between versions: a key computed by a newer runtime must still find the entries an
/// older one stored, and must not make two existing names collide.
/// </summary>
/// <remarks>
/// Invariants: every mapping sends a scalar value to a different one of the same UTF-16 length, so a
/// key is exactly as long as its name (one unit to one unit, as NTFS folds); the identity folding
/// (case-sensitive volumes) maps nothing.
/// </remarks>
public sealed class CaseFolding
{
    private const string FormatTag = "simple-upper-1";

    private static readonly Lazy<CaseFolding> RuntimeFolding = new(BuildFromRuntime);

    private readonly Dictionary<int, int> _map;
    private readonly string _serialized;

    private CaseFolding(Dictionary<int, int> map, string serialized)
    {
        _map = map;
        _serialized = serialized;
    }

    /// <summary>No folding: the key is the name (case-sensitive volumes).</summary>
    public static CaseFolding Identity { get; } = new(new Dictionary<int, int>(), FormatTag + ";");

    /// <summary>The invariant simple upper-case mapping of the runtime this process runs on; what a new volume stores.</summary>
    public static CaseFolding Runtime => RuntimeFolding.Value;

    /// <summary>How many scalar values the folding changes.</summary>
    public int MappingCount => _map.Count;

    public string Key(string name)
    {
        if (_map.Count == 0 || !NeedsFolding(name))
        {
            return name;
        }
        var builder = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            builder.Append(_map.TryGetValue(rune.Value, out int upper) ? new Rune(upper) : rune);
        }
        return builder.ToString();
    }

    /// <summary>The form kept in the volume's settings: a format tag, then `from=to` pairs of hex scalar values.</summary>
    public string Serialize() => _serialized;

    /// <summary>Reads a stored folding; null with the reason when the text is not a valid one.</summary>
    public static CaseFolding? Parse(string text, out string? problem)
    {
        problem = null;
        if (text == RuntimeFolding.Value._serialized)
        {
            return RuntimeFolding.Value;
        }
        int semicolon = text.IndexOf(';', StringComparison.Ordinal);
        if (semicolon < 0 || text[..semicolon] != FormatTag)
        {
            problem = $"unknown case folding format '{(semicolon < 0 ? text[..Math.Min(text.Length, 20)] : text[..semicolon])}'";
            return null;
        }
        var map = new Dictionary<int, int>();
        foreach (string pair in text[(semicolon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0
                || !int.TryParse(pair.AsSpan(0, eq), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int from)
                || !int.TryParse(pair.AsSpan(eq + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int to))
            {
                problem = $"case folding entry '{pair}' is not a pair of hex code points";
                return null;
            }
            if (!Rune.IsValid(from) || !Rune.IsValid(to) || from == to
                || new Rune(from).Utf16SequenceLength != new Rune(to).Utf16SequenceLength)
            {
                problem = $"case folding entry '{pair}' does not map a code point to another of the same UTF-16 length";
                return null;
            }
            if (!map.TryAdd(from, to))
            {
                problem = $"case folding maps U+{from:X4} twice";
                return null;
            }
        }
        return new CaseFolding(map, text);
    }

    private static bool NeedsFolding(string name)
    {
        foreach (char c in name)
        {
            if (c >= 0x80 || c is >= 'a' and <= 'z')
            {
                return true;
            }
        }
        return false;
    }

    private static CaseFolding BuildFromRuntime()
    {
        var map = new Dictionary<int, int>();
        var text = new StringBuilder(FormatTag).Append(';');
        for (int v = 0; v <= 0x10FFFF; v++)
        {
            if (!Rune.IsValid(v))
            {
                continue;
            }
            var rune = new Rune(v);
            var upper = Rune.ToUpperInvariant(rune);
            // A mapping that changed the UTF-16 length would change the length of keys; NTFS never
            // folds across lengths, and neither do we.
            if (upper != rune && upper.Utf16SequenceLength == rune.Utf16SequenceLength)
            {
                map.Add(v, upper.Value);
                text.Append(CultureInfo.InvariantCulture, $"{v:X}={upper.Value:X},");
            }
        }
        return new CaseFolding(map, text.ToString());
    }
}
