using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using WinReflink.Bench.Host;

namespace WinReflink.Bench.Reporting;

/// <summary>The whole run: the machine, the settings, the peers' raw times and every section; printed as a table or one JSON object.</summary>
internal sealed class Report
{
    private const int MeasureWidth = 62;
    private const int EngineWidth = 14;
    private const int AgainstWidth = 64;
    private const int RatioWidth = 10;

    public required MachineInfo Machine { get; init; }
    public required JsonObject Settings { get; init; }
    public required string SettingsText { get; init; }
    public required PeerFigures Peers { get; init; }
    public List<Section> Sections { get; } = [];

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine("WinReflink engine benchmarks");
        text.AppendLine("machine: " + Machine.Summary());
        text.AppendLine("engine:  " + SettingsText);
        foreach (var section in Sections)
        {
            text.AppendLine();
            text.AppendLine(section.Title);
            text.Append("  ").Append(Pad("measure", MeasureWidth)).Append(Pad("engine", EngineWidth)).Append(Pad("against", AgainstWidth))
                .Append(Pad("ratio", RatioWidth)).AppendLine("goal");
            foreach (var f in section.Figures)
            {
                string row = "  " + Pad(f.Label, MeasureWidth) + Pad(Value(f.Value, f.Unit), EngineWidth)
                    + Pad(f.Against is { } a ? $"{a.Label}: {Value(a.Value, a.Unit)}" : "", AgainstWidth)
                    + Pad(f.Against is { } r ? Format.Number(r.Ratio) + "x" : "", RatioWidth)
                    + (f.Goal is { } g ? g.Text + (g.Met ? "  met" : "  MISSED") : "");
                text.AppendLine(row.TrimEnd());
            }
        }
        var goals = Goals().ToList();
        text.AppendLine();
        text.AppendLine($"goals: {goals.Count(g => g.Met)} met, {goals.Count(g => !g.Met)} missed"
            + (goals.Any(g => !g.Met) ? " (" + string.Join("; ", goals.Where(g => !g.Met).Select(g => g.Label)) + ")" : ""));
        return text.ToString();
    }

    public string ToJson()
    {
        var peers = new JsonObject();
        foreach (var (name, seconds) in Peers.Seconds)
        {
            peers[name] = new JsonObject
            {
                ["command"] = PeerFigures.Command(name),
                ["seconds"] = Format.Array(seconds),
                ["median_seconds"] = Stats.Median(seconds),
            };
        }
        var sections = new JsonObject();
        foreach (var section in Sections)
        {
            var figures = new JsonObject();
            foreach (var f in section.Figures)
            {
                var figure = new JsonObject { ["label"] = f.Label.Trim(), ["value"] = Round(f.Value), ["unit"] = f.Unit };
                if (f.Against is { } a)
                {
                    figure["against"] = new JsonObject { ["label"] = a.Label, ["value"] = Round(a.Value), ["unit"] = a.Unit, ["ratio"] = Round(a.Ratio) };
                }
                if (f.Goal is { } g)
                {
                    figure["goal"] = new JsonObject { ["text"] = g.Text, ["met"] = g.Met };
                }
                figures[f.Key] = figure;
            }
            sections[section.Key] = new JsonObject
            {
                ["title"] = section.Title,
                ["figures"] = figures,
                ["samples"] = section.Samples,
            };
        }
        var goals = Goals().ToList();
        var report = new JsonObject
        {
            ["machine"] = Machine.ToJson(),
            ["settings"] = Settings,
            ["peers"] = peers,
            ["results"] = sections,
            ["goals_met"] = goals.Count(g => g.Met),
            ["goals_missed"] = new JsonArray(goals.Where(g => !g.Met).Select(g => (JsonNode?)g.Key).ToArray()),
        };
        // Relaxed escaping keeps "<=" and "+" readable; the report is never embedded in HTML.
        return report.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private IEnumerable<(string Key, string Label, bool Met)> Goals()
    {
        foreach (var section in Sections)
        {
            foreach (var f in section.Figures)
            {
                if (f.Goal is { } g)
                {
                    yield return ($"{section.Key}.{f.Key}", $"{f.Label.Trim()}: {Value(f.Value, f.Unit)}, goal {g.Text}", g.Met);
                }
            }
        }
    }

    private static double Round(double value) => Math.Round(value, 4);

    private static string Value(double value, string unit) => Format.Number(value) + " " + unit;

    private static string Pad(string s, int width) => s.Length >= width ? s + " " : s.PadRight(width);
}
