namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// The stand-in's report: "PASS name" or "FAIL name: step N: expected X got Y (NTFS: ...)" per
/// scenario, "BENCH ..." lines, "TOTAL ...", and "DONE" once it has finished.
/// </summary>
internal sealed class ScenarioReport
{
    private ScenarioReport(string[] lines) => Lines = lines;

    public string[] Lines { get; }

    public bool Done => Lines.Contains("DONE");

    public IEnumerable<string> Bench => Lines.Where(l => l.StartsWith("BENCH", StringComparison.Ordinal));

    public static ScenarioReport Read(string path) =>
        new(File.Exists(path) ? File.ReadAllLines(path).Select(l => l.TrimEnd('\r')).ToArray() : []);

    /// <summary>Waits until the report ends in DONE (the stand-in's dispatcher has run every scenario).</summary>
    public static ScenarioReport WaitForDone(string path, TimeSpan timeout, Func<string?>? diedBecause = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var report = Read(path);
            if (report.Done)
            {
                return report;
            }
            if (diedBecause?.Invoke() is { } why)
            {
                Assert.Fail($"the host stopped before the stand-in finished: {why}\n{string.Join('\n', report.Lines)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"no DONE in {path} after {timeout}:\n{string.Join('\n', report.Lines)}");
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>Asserts that the scenario ran and passed, showing the stand-in's reason when not.</summary>
    public void AssertPassed(string scenario)
    {
        string? line = Lines.FirstOrDefault(l => l == "PASS " + scenario || l.StartsWith("FAIL " + scenario + ":", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"scenario {scenario} is not in the report:\n{string.Join('\n', Lines)}");
        Assert.That(line, Is.EqualTo("PASS " + scenario), line);
    }
}
