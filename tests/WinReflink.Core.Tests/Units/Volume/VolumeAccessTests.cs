using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Units.Volume;

public class VolumeAccessTests
{
    [Test]
    public void AccessIsReadOnlyWhenMountedSoDamagedOrRepairingAndStaysSo()
    {
        Assert.That(new VolumeAccess(openedReadOnly: false, damaged: false).ReadOnly, Is.False);
        Assert.That(new VolumeAccess(openedReadOnly: true, damaged: false).ReadOnly, Is.True);
        var damaged = new VolumeAccess(openedReadOnly: false, damaged: true);
        Assert.That(damaged.ReadOnly && !damaged.OpenedReadOnly, Is.True, "a damaged volume refuses changes but a repair may still write");
        var repairing = new VolumeAccess(openedReadOnly: false, damaged: false);
        repairing.BeginRepair();
        Assert.That(repairing.ReadOnly, Is.True);
    }
}
