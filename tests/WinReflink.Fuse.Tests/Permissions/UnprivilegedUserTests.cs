using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Permissions;

/// <summary>
/// The mount as other users see it (--allow-other, default_permissions: the kernel checks mode bits
/// the host reports, and the host applies ownership rules): commands run as nobody (65534) and as an
/// unnamed user 1000 through setpriv.
/// </summary>
public sealed class UnprivilegedUserTests : MountedTest
{
    private const int Nobody = 65534;
    private const int Other = 1000;

    protected override string[] MountOptions => ["--allow-other"];

    private static ProcessResult AsNobody(string command) => ProcessRunner.RunAs(Nobody, Nobody, command);

    private static ProcessResult AsOther(string command) => ProcessRunner.RunAs(Other, Other, command);

    private string Q(string relative) => $"'{P(relative)}'";

    private void PublicDirectory(string name, int mode)
    {
        Directory.CreateDirectory(P(name));
        File.SetUnixFileMode(P(name), (UnixFileMode)mode);
    }

    [Test]
    public void NewEntriesBelongToTheCaller()
    {
        PublicDirectory("pub", 0x1ff);
        var r = AsNobody($"touch {Q("pub/file")} && mkdir {Q("pub/dir")} && ln -s target {Q("pub/link")} && mkfifo {Q("pub/fifo")}");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.Multiple(() =>
        {
            foreach (string name in new[] { "pub/file", "pub/dir", "pub/link", "pub/fifo" })
            {
                var s = Libc.Stat(P(name), followSymlinks: false);
                Assert.That((s.Uid, s.Gid), Is.EqualTo(((uint)Nobody, (uint)Nobody)), name);
            }
            Assert.That(Libc.Stat(P("pub/fifo")).FileType, Is.EqualTo(0x1000u), "mkfifo made a FIFO");
        });
    }

    [Test]
    public void PrivateFileOfRootIsNotReadableByNobody()
    {
        PublicDirectory("pub", 0x1ff);
        File.WriteAllText(P("pub/secret"), "root only");
        File.SetUnixFileMode(P("pub/secret"), (UnixFileMode)0x180); // 0600
        var read = AsNobody($"cat {Q("pub/secret")}");
        Assert.That(read.ExitCode, Is.Not.Zero, read.ToString());
        Assert.That(read.Stderr, Does.Contain("Permission denied"));
        var write = AsNobody($"echo x >> {Q("pub/secret")}");
        Assert.That(write.ExitCode, Is.Not.Zero, write.ToString());
        var chmod = AsNobody($"chmod 0666 {Q("pub/secret")}");
        Assert.That(chmod.Stderr, Does.Contain("Operation not permitted"), chmod.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("pub/secret")), Is.EqualTo("root only"));
            Assert.That(Libc.Stat(P("pub/secret")).Permissions, Is.EqualTo(0x180u));
        });

        File.WriteAllText(P("pub/readable"), "anyone");
        File.SetUnixFileMode(P("pub/readable"), (UnixFileMode)0x1a4); // 0644
        var ok = AsNobody($"cat {Q("pub/readable")}");
        Assert.That(ok.Stdout, Is.EqualTo("anyone\n"), ok.ToString());
    }

    [Test]
    public void SetgidDirectoryGivesNewEntriesItsGroup()
    {
        PublicDirectory("sg", 0x1ff);
        ProcessRunner.RunOk("chown", "0:1234", P("sg"));
        ProcessRunner.RunOk("chmod", "2777", P("sg"));
        var r = AsNobody($"touch {Q("sg/file")} && mkdir {Q("sg/dir")}");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var file = Libc.Stat(P("sg/file"));
        var dir = Libc.Stat(P("sg/dir"));
        Assert.Multiple(() =>
        {
            Assert.That(file.Gid, Is.EqualTo(1234u), "a file inherits the directory's group");
            Assert.That(file.Uid, Is.EqualTo((uint)Nobody));
            Assert.That(dir.Gid, Is.EqualTo(1234u), "a directory inherits the directory's group");
            Assert.That(dir.Permissions & 0x400u, Is.EqualTo(0x400u), "and the setgid bit");
            Assert.That(file.Permissions & 0x400u, Is.Zero, "a file does not get setgid from its directory");
        });
    }

    [Test]
    public void WriteTruncateAndChownClearSetIdBits()
    {
        PublicDirectory("pub", 0x1ff);
        foreach (string name in new[] { "written", "truncated", "chowned" })
        {
            File.WriteAllText(P("pub/" + name), "data");
            ProcessRunner.RunOk("chmod", "6777", P("pub/" + name));
            Assert.That(Libc.Stat(P("pub/" + name)).Permissions, Is.EqualTo(0xdffu), "rwsrwsrwx before");
        }
        var w = AsNobody($"echo more >> {Q("pub/written")}");
        Assert.That(w.ExitCode, Is.Zero, w.ToString());
        var t = AsNobody($"truncate -s 1 {Q("pub/truncated")}");
        Assert.That(t.ExitCode, Is.Zero, t.ToString());
        ProcessRunner.RunOk("chown", "1:1", P("pub/chowned"));
        Assert.Multiple(() =>
        {
            Assert.That(Libc.Stat(P("pub/written")).Permissions, Is.EqualTo(0x1ffu), "a write by nobody clears setuid and setgid");
            Assert.That(File.ReadAllText(P("pub/written")), Is.EqualTo("datamore\n"));
            Assert.That(Libc.Stat(P("pub/truncated")).Permissions, Is.EqualTo(0x1ffu), "a truncate by nobody clears them");
            Assert.That(Libc.Stat(P("pub/truncated")).Size, Is.EqualTo(1));
            Assert.That(Libc.Stat(P("pub/chowned")).Permissions, Is.EqualTo(0x1ffu), "chown clears them, even by root");
        });

        File.WriteAllText(P("pub/root-writes"), "data");
        ProcessRunner.RunOk("chmod", "4755", P("pub/root-writes"));
        File.AppendAllText(P("pub/root-writes"), "more");
        Assert.That(Libc.Stat(P("pub/root-writes")).Permissions, Is.EqualTo(0x9edu), "root (CAP_FSETID) keeps setuid when writing");
    }

    [Test]
    public void StickyDirectoryProtectsOtherUsersEntries()
    {
        PublicDirectory("tmp", 0x3ff); // 01777
        var own = AsNobody($"echo mine > {Q("tmp/nobodys")} && chmod 0666 {Q("tmp/nobodys")}");
        Assert.That(own.ExitCode, Is.Zero, own.ToString());

        var rm = AsOther($"rm -f {Q("tmp/nobodys")}");
        Assert.That(rm.Stderr, Does.Contain("Operation not permitted"), rm.ToString());
        var mv = AsOther($"mv {Q("tmp/nobodys")} {Q("tmp/taken")}");
        Assert.That(mv.Stderr, Does.Contain("Operation not permitted"), mv.ToString());
        var overwrite = AsOther($"echo theirs > {Q("tmp/theirs")} && mv -f {Q("tmp/theirs")} {Q("tmp/nobodys")}");
        Assert.That(overwrite.ExitCode, Is.Not.Zero, "replacing another user's entry by rename is refused too: " + overwrite);
        var write = AsOther($"echo appended >> {Q("tmp/nobodys")}");
        Assert.That(write.ExitCode, Is.Zero, "the sticky bit guards names, not contents: " + write);
        Assert.That(File.ReadAllText(P("tmp/nobodys")), Is.EqualTo("mine\nappended\n"));

        var ownerRemoves = AsNobody($"rm {Q("tmp/nobodys")}");
        Assert.That(ownerRemoves.ExitCode, Is.Zero, ownerRemoves.ToString());
        Assert.That(File.Exists(P("tmp/theirs")), Is.True, "the other user's own file is still there");
        File.Delete(P("tmp/theirs"));
        Assert.That(Directory.EnumerateFileSystemEntries(P("tmp")), Is.Empty, "root removes anyone's entry");
    }
}
