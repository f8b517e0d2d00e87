using System.Diagnostics;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>The stand-in's own pieces (struct sizes, AddDirInfo packing, descriptor merge), before they judge the host.</summary>
public class SelfTestTests
{
    [Test]
    public void TheStandInsOwnPiecesHold()
    {
        StandIn.Build();
        var start = new ProcessStartInfo(StandIn.SelfTest) { RedirectStandardOutput = true, UseShellExecute = false };
        using var run = Process.Start(start)!;
        string output = run.StandardOutput.ReadToEnd();
        run.WaitForExit();
        Assert.That(run.ExitCode, Is.Zero, output);
        Assert.That(output, Does.Match(@"selftest: [1-9][0-9]* passed, 0 failed"));
    }
}
