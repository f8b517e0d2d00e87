using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.BadInput;

/// <summary>A volume opens in one place at a time; a second opener is told which process holds it.</summary>
public class VolumeInUseTests : VolumeFixture
{
    [Test]
    public void SecondOpenInTheSameProcessNamesThisProcess()
    {
        using (var fs = FormatAndOpen())
        {
            var e = Assert.Throws<VolumeException>(() => Reopen().Dispose());
            Assert.That(e!.Message, Does.Contain("in use").And.Contain("process " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + " "));
            Assert.That(fs.Check(), Is.Empty, "the failed second open disturbed the first");
        }
        using (var again = Reopen())
        {
            Assert.That(again.Check(), Is.Empty);
        }
    }

    [Test]
    public void OpenWhileAnotherProcessHoldsTheVolumeNamesThatProcess()
    {
        FormatAndOpen().Dispose();
        string dll = typeof(VolumeHolder).Assembly.Location;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("hold");
        start.ArgumentList.Add(Folder);
        using var child = Process.Start(start)!;
        try
        {
            var errors = child.StandardError.ReadToEndAsync();
            var ready = child.StandardOutput.ReadLineAsync();
            Assert.That(ready.Wait(TimeSpan.FromSeconds(30)), Is.True, "the holder did not say it was ready");
            Assert.That(ready.Result, Is.EqualTo(VolumeHolder.Ready), () => "the holder failed: " + errors.Result);

            var e = Assert.Throws<VolumeException>(() => Reopen().Dispose());
            TestContext.Out.WriteLine(e!.Message);
            Assert.That(e.Message, Does.Contain("in use").And.Contain("process " + child.Id.ToString(CultureInfo.InvariantCulture) + " "));

            child.StandardInput.WriteLine();
            Assert.That(child.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(child.ExitCode, Is.Zero);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }
        using var fs = Reopen();
        Assert.That(fs.Check(), Is.Empty);
    }
}
