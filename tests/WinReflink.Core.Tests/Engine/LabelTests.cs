using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

public sealed class LabelTests : VolumeFixture
{
    [Test]
    public void ANewLabelSurvivesReopening()
    {
        using (var fs = FormatAndOpen())
        {
            Assert.That(fs.SetLabel("Projects"), Is.EqualTo(FsError.Ok));
            Assert.That(fs.StatFs().Label, Is.EqualTo("Projects"));
        }
        using var again = Reopen();
        Assert.That(again.Info().Label, Is.EqualTo("Projects"));
    }

    [Test]
    public void ALabelLongerThan32CharactersIsRefusedAndChangesNothing()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.SetLabel(new string('x', 33)), Is.EqualTo(FsError.InvalidArgument));
        Assert.That(fs.StatFs().Label, Is.EqualTo(""));
    }
}
