using Microsoft.Extensions.Logging;
using WinReflink.Core;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// (a) In-process on Linux: the host's adapter mounted through its explicit-path seam on the
/// stand-in .so, which drives every scenario through the native interface table as the WinFsp DLL
/// would; one test case per scenario, then the volume must check clean.
/// </summary>
public class LinuxHarnessTests
{
    private string _temp = "";
    private ScenarioReport _report = null!;
    private IReadOnlyList<Core.Check.Violation> _violations = [];
    private readonly CollectingLogger _log = new();

    public static IEnumerable<string> Scenarios() => StandIn.ScenarioNames();

    [OneTimeSetUp]
    public void RunEveryScenario()
    {
        _temp = Path.Combine(Path.GetTempPath(), "wrl-standin-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
        (_report, _violations) = InProcessRun.Play(_temp, StandIn.Scenarios, new OpenOptions(), _log);
        foreach (string line in _report.Lines.Where(l => !l.StartsWith("PASS", StringComparison.Ordinal)))
        {
            TestContext.Progress.WriteLine("stand-in (Linux): " + line);
        }
    }

    [OneTimeTearDown]
    public void RemoveTemp()
    {
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    [TestCaseSource(nameof(Scenarios))]
    public void Scenario(string name) => _report.AssertPassed(name);

    [Test]
    public void TheVolumeChecksCleanAfterward() =>
        Assert.That(_violations.Select(v => v.ToString()), Is.Empty);

    [Test]
    public void TheThroughputIsMeasured()
    {
        Assert.That(_report.Bench.Count(l => l.Contains("MB/s", StringComparison.Ordinal)), Is.EqualTo(4), string.Join('\n', _report.Lines));
        Assert.That(_report.Bench.Any(l => l.Contains("failed", StringComparison.Ordinal)), Is.False, string.Join('\n', _report.Bench));
    }

    [Test]
    public void NoCallbackHitAnUnexpectedError() =>
        Assert.That(_log.AtLeast(LogLevel.Error), Is.Empty);
}
