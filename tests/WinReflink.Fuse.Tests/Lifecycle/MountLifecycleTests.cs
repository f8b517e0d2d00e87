using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Lifecycle;

/// <summary>The fixture's own contract: a usable mount after "mounted ", figures through the ioctl, a clean end.</summary>
public sealed class MountLifecycleTests : MountedTest
{
    [Test]
    public void FreshMountIsAnEmptyWritableVolumeWithFigures()
    {
        Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);
        File.WriteAllText(P("hello.txt"), "hello");
        Assert.That(File.ReadAllText(P("hello.txt")), Is.EqualTo("hello"));
        var info = Info();
        Assert.Multiple(() =>
        {
            Assert.That(info.CapacityBytes, Is.EqualTo(64L << 30), "default format size");
            Assert.That(info.Files, Is.GreaterThanOrEqualTo(1));
            Assert.That(info.SharedBytes, Is.Zero);
            Assert.That(info.UsedBytes + info.FreeBytes, Is.EqualTo(info.CapacityBytes));
        });
        var df = ProcessRunner.RunOk("stat", "-f", "-c", "%b %S", MountPoint);
        long[] parts = df.Stdout.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.That(parts[0] * parts[1], Is.EqualTo(64L << 30), "statfs total size");
    }

    [Test]
    public void SigtermUnmountsAndCommits()
    {
        File.WriteAllText(P("kept.txt"), "committed on SIGTERM");
        ProcessRunner.RunOk("kill", "-TERM", Mount.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Mount.WaitForExit();
        Assert.That(Mount.Stdout, Does.Contain("unmounted"));
        MountAgain();
        Assert.That(File.ReadAllText(P("kept.txt")), Is.EqualTo("committed on SIGTERM"));
    }

    [Test]
    public void SigtermWithAFileOpenDetachesAndExitsAtTheLastClose()
    {
        var held = new FileStream(P("held"), FileMode.Create, FileAccess.ReadWrite);
        try
        {
            held.Write("before SIGTERM"u8);
            ProcessRunner.RunOk("kill", "-TERM", Mount.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (int i = 0; i < 200 && MountTable.IsMounted(MountPoint); i++)
            {
                Thread.Sleep(50);
            }
            Assert.That(MountTable.IsMounted(MountPoint), Is.False, "the busy mount was detached lazily");
            Assert.That(Mount.HasExited, Is.False, "the host keeps serving the open file");
            held.Write(", after"u8);
            held.Flush(flushToDisk: true);
        }
        finally
        {
            held.Dispose();
        }
        Mount.WaitForExit();
        Assert.That(Mount.Stdout + Mount.Stderr, Does.Contain("busy"), "the host said why it detached lazily");
        MountAgain();
        Assert.That(File.ReadAllText(P("held")), Is.EqualTo("before SIGTERM, after"));
    }

    [Test]
    public void KilledMountIsReportedUnmountedAndRecovered()
    {
        var synced = new byte[3 << 20];
        new Random(23).NextBytes(synced);
        using (var f = new FileStream(P("synced"), FileMode.Create))
        {
            f.Write(synced);
            f.Flush(flushToDisk: true);
        }
        File.Copy(P("synced"), P("synced-clone"));
        using (var clone = new FileStream(P("synced-clone"), FileMode.Open))
        {
            clone.Flush(flushToDisk: true);
        }
        File.WriteAllText(P("unsynced"), "may be lost");

        Mount.Kill();
        var again = MountProcess.RunExpectingFailure(Area.Volume, MountPoint);
        Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stderr, Does.Contain("winreflink unmount " + MountPoint), "the message says how to clear the dead mount: " + again);
        var unmount = Programs.Winreflink("unmount", MountPoint);
        Assert.That(unmount.ExitCode, Is.Zero, unmount.ToString());
        Assert.That(MountTable.IsMounted(MountPoint), Is.False);

        MountAgain();
        Assert.That(File.ReadAllBytes(P("synced")), Is.EqualTo(synced), "fsync'd data survives the crash");
        Assert.That(File.ReadAllBytes(P("synced-clone")), Is.EqualTo(synced), "so does the fsync'd clone");
        Assert.That(Info().SharedBytes, Is.EqualTo(3L << 20), "still a reflink");
    }
}
