using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Errors;

/// <summary>Errors that need a running mount: the volume in use by it, and an unmount while files are open.</summary>
public sealed class BusyMountTests : MountedTest
{
    [Test]
    public void SecondMountOfTheSameVolumeNamesTheHoldingProcess()
    {
        string second = Area.PathOf("second");
        Directory.CreateDirectory(second);
        var r = MountProcess.RunExpectingFailure(Area.Volume, second);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("in use by process " + Mount.ProcessId.ToString(CultureInfo.InvariantCulture)), r.ToString());
        Assert.That(MountTable.IsMounted(second), Is.False);
        File.WriteAllText(P("still-served"), "yes");
        Assert.That(File.ReadAllText(P("still-served")), Is.EqualTo("yes"), "the first mount is unaffected");
    }

    [Test]
    public void MountOnTopOfTheMountIsRefused()
    {
        string volume = Area.PathOf("other.wrl");
        var r = MountProcess.RunExpectingFailure(volume, MountPoint);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("already a mount point"), r.ToString());
        Assert.That(MountTable.TypeAt(MountPoint), Is.EqualTo("fuse.winreflink"));
    }

    [Test]
    public void UnmountWhileAFileIsOpenIsRefusedAsBusy()
    {
        using (var held = new FileStream(P("held"), FileMode.Create, FileAccess.ReadWrite))
        {
            held.Write("open during unmount"u8);
            var r = Programs.Winreflink("unmount", MountPoint);
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.Stderr, Does.Contain("busy"), r.ToString());
            Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line: " + r.Stderr);
            Assert.That(MountTable.TypeAt(MountPoint), Is.EqualTo("fuse.winreflink"), "still mounted");
            Assert.That(Mount.HasExited, Is.False, "the mount process keeps serving");
            held.Position = 0;
            var back = new byte[19];
            held.ReadExactly(back);
            Assert.That(back, Is.EqualTo("open during unmount"u8.ToArray()), "the open file still works");
        }
        // Teardown's unmount now succeeds: the file is closed.
    }

    [Test]
    public void LazyUnmountDetachesAtOnceAndFinishesAtTheLastClose()
    {
        var held = new FileStream(P("held"), FileMode.Create, FileAccess.ReadWrite);
        try
        {
            held.Write("written before the lazy unmount"u8);
            var r = Programs.Winreflink("unmount", MountPoint, "--lazy");
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(MountTable.IsMounted(MountPoint), Is.False, "detached from the tree at once");
            Assert.That(Mount.HasExited, Is.False, "still serving the open file");
            held.Write(" and after"u8);
            held.Flush();
        }
        finally
        {
            held.Dispose();
        }
        Mount.WaitForExit();
        MountAgain();
        Assert.That(File.ReadAllText(P("held")), Is.EqualTo("written before the lazy unmount and after"));
    }
}
