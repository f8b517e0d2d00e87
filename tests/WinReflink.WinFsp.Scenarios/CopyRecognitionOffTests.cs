using System.Globalization;
using System.Text.RegularExpressions;
using WinReflink.Core;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// The CopyFileEx scenarios on a mount with copy recognition off (OpenOptions.CopyRecognition false,
/// as `mount --no-copy-recognition`): each must fail at its free-space check with the copy taking at
/// least the file's size, which shows that what they pass on with recognition on is the sharing and
/// not a measure that cannot see a copy.
/// </summary>
public class CopyRecognitionOffTests
{
    /// <summary>Each scenario's source size, as scenarios.txt writes it.</summary>
    private static readonly Dictionary<string, long> SourceBytes = new()
    {
        ["copyfileex_pattern"] = 8_400_953,
        ["copyfileex_preallocated"] = 4_199_304,
    };

    private string _temp = "";
    private ScenarioReport _report = null!;
    private IReadOnlyList<Core.Check.Violation> _violations = [];
    private readonly CollectingLogger _log = new();

    public static IEnumerable<string> CopyScenarios() => SourceBytes.Keys;

    [OneTimeSetUp]
    public void RunTheCopyScenariosWithoutRecognition()
    {
        _temp = Path.Combine(Path.GetTempPath(), "wrl-standin-norecog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
        string script = Path.Combine(_temp, "copies.txt");
        File.WriteAllLines(script, StandIn.ScenarioLines(SourceBytes.Keys));
        (_report, _violations) = InProcessRun.Play(_temp, script, new OpenOptions { CopyRecognition = false }, _log);
    }

    [OneTimeTearDown]
    public void RemoveTemp()
    {
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    [TestCaseSource(nameof(CopyScenarios))]
    public void TheCopyTakesTheFilesSpace(string name)
    {
        string all = string.Join('\n', _report.Lines);
        string? line = _report.Lines.FirstOrDefault(l => l.StartsWith("FAIL " + name + ":", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"{name} should fail its free-space check without recognition:\n{all}");
        var drop = Regex.Match(line!, @"expected free space to drop by less than \S+ since the mark got a drop of (\d+)");
        Assert.That(drop.Success, Is.True, $"{name} should fail at its free-space check, not elsewhere: {line}");
        Assert.That(long.Parse(drop.Groups[1].Value, CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(SourceBytes[name]), line);
    }

    [Test]
    public void TheVolumeChecksCleanAfterward() =>
        Assert.That(_violations.Select(v => v.ToString()), Is.Empty);
}
