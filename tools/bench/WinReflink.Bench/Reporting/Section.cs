using System.Text.Json.Nodes;

namespace WinReflink.Bench.Reporting;

/// <summary>What one benchmark reports: its figures, and the raw samples behind them for the JSON report.</summary>
internal sealed class Section
{
    public Section(string key, string title)
    {
        Key = key;
        Title = title;
    }

    public string Key { get; }
    public string Title { get; }
    public List<Figure> Figures { get; } = [];
    public JsonObject Samples { get; } = [];
}
