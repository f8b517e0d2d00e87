using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Permissions;

/// <summary>Timestamps as POSIX requires them, observed with statx through the mount.</summary>
public sealed class TimestampTests : MountedTest
{
    private static void Tick() => Thread.Sleep(15);

    [Test]
    public void WriteAndTruncateMoveModifyAndChangeTime()
    {
        File.WriteAllText(P("f"), "start");
        var s0 = Libc.Stat(P("f"));
        Tick();
        File.AppendAllText(P("f"), " more");
        var s1 = Libc.Stat(P("f"));
        Assert.Multiple(() =>
        {
            Assert.That(s1.MTime, Is.GreaterThan(s0.MTime), "mtime on write");
            Assert.That(s1.CTime, Is.GreaterThan(s0.CTime), "ctime on write");
            Assert.That(s1.CTime, Is.GreaterThanOrEqualTo(s1.MTime));
        });
        Tick();
        ProcessRunner.RunOk("truncate", "-s", "3", P("f"));
        var s2 = Libc.Stat(P("f"));
        Assert.Multiple(() =>
        {
            Assert.That(s2.MTime, Is.GreaterThan(s1.MTime), "mtime on truncate");
            Assert.That(s2.CTime, Is.GreaterThan(s1.CTime), "ctime on truncate");
        });
    }

    [Test]
    public void ChmodLinkRenameAndUnlinkMoveOnlyChangeTime()
    {
        File.WriteAllText(P("f"), "x");
        Directory.CreateDirectory(P("d"));
        var s0 = Libc.Stat(P("f"));

        Tick();
        File.SetUnixFileMode(P("f"), (UnixFileMode)0x1c0);
        var chmod = Libc.Stat(P("f"));
        Assert.That(chmod.CTime, Is.GreaterThan(s0.CTime), "ctime on chmod");
        Assert.That(chmod.MTime, Is.EqualTo(s0.MTime), "chmod leaves mtime");

        Tick();
        var dirBefore = Libc.Stat(P("d"));
        Libc.Link(P("f"), P("d/second"));
        var link = Libc.Stat(P("f"));
        var dirAfterLink = Libc.Stat(P("d"));
        Assert.That(link.CTime, Is.GreaterThan(chmod.CTime), "ctime on link");
        Assert.That(link.MTime, Is.EqualTo(s0.MTime), "link leaves mtime");
        Assert.That(dirAfterLink.MTime, Is.GreaterThan(dirBefore.MTime), "the directory's mtime on a new entry");
        Assert.That(dirAfterLink.CTime, Is.GreaterThan(dirBefore.CTime), "the directory's ctime on a new entry");

        Tick();
        var rootBefore = Libc.Stat(MountPoint);
        Assert.That(Libc.Rename2(P("f"), P("d/renamed"), 0), Is.Zero);
        var renamed = Libc.Stat(P("d/renamed"));
        Assert.That(renamed.CTime, Is.GreaterThan(link.CTime), "ctime on rename");
        Assert.That(renamed.MTime, Is.EqualTo(s0.MTime), "rename leaves mtime");
        Assert.That(Libc.Stat(MountPoint).MTime, Is.GreaterThan(rootBefore.MTime), "the old parent's mtime on rename");
        Assert.That(Libc.Stat(P("d")).MTime, Is.GreaterThan(dirAfterLink.MTime), "the new parent's mtime on rename");

        Tick();
        Assert.That(Libc.Unlink(P("d/second")), Is.Zero);
        var unlinked = Libc.Stat(P("d/renamed"));
        Assert.That(unlinked.CTime, Is.GreaterThan(renamed.CTime), "ctime of the remaining link on unlink");
        Assert.That(unlinked.Nlink, Is.EqualTo(1u));
    }

    [Test]
    public void AccessTimeIsNotBeforeModifyTimeAfterARead()
    {
        File.WriteAllText(P("f"), "first");
        Tick();
        File.AppendAllText(P("f"), " second");
        var written = Libc.Stat(P("f"));
        Tick();
        Assert.That(File.ReadAllText(P("f")), Is.EqualTo("first second"));
        var read = Libc.Stat(P("f"));
        Assert.Multiple(() =>
        {
            Assert.That(read.ATime, Is.GreaterThanOrEqualTo(read.MTime), "atime is not before mtime once the file was read");
            Assert.That(read.MTime, Is.EqualTo(written.MTime), "a read leaves mtime");
            Assert.That(read.CTime, Is.EqualTo(written.CTime), "a read leaves ctime");
        });
    }

    [Test]
    public void ExplicitTimesAreKeptToTheTickAndSetChangeTime()
    {
        File.WriteAllText(P("f"), "x");
        var before = Libc.Stat(P("f"));
        Tick();
        Libc.SetTimes(P("f"), (1_000_000_000, 123_456_700), (900_000_000, 999_999_900));
        var s = Libc.Stat(P("f"));
        Assert.Multiple(() =>
        {
            Assert.That(s.ATime.ToString(), Is.EqualTo("1000000000.123456700"));
            Assert.That(s.MTime.ToString(), Is.EqualTo("900000000.999999900"));
            Assert.That(s.CTime, Is.GreaterThan(before.CTime), "utimensat sets ctime to now");
        });
        ProcessRunner.RunOk("touch", P("f"));
        var touched = Libc.Stat(P("f"));
        Assert.That(touched.MTime, Is.GreaterThanOrEqualTo(before.CTime), "touch sets mtime to now");
        Assert.That(touched.ATime, Is.EqualTo(touched.MTime), "touch sets both to the same now");
    }
}
