using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Semantics;

/// <summary>lsattr and chattr (e2fsprogs) on the mount: FS_IOC_GETFLAGS / FS_IOC_SETFLAGS, enforced by the engine.</summary>
public sealed class ChattrTests : MountedTest
{
    private const int Nobody = 65534;
    private const uint FsIocFsGetXattr = 0x801c581f;

    protected override string[] MountOptions => ["--allow-other"];

    private string Q(string relative) => $"'{P(relative)}'";

    /// <summary>The flag letters lsattr prints for a path (its first column).</summary>
    private string Lsattr(string relative, bool directory = false)
    {
        var r = directory ? ProcessRunner.RunOk("lsattr", "-d", P(relative)) : ProcessRunner.RunOk("lsattr", P(relative));
        return r.Stdout.Split(' ', 2)[0];
    }

    [Test]
    public void ImmutableRefusesEveryChangeUntilRootClearsIt()
    {
        File.WriteAllText(P("f"), "fixed\n");
        Directory.CreateDirectory(P("d"));
        Assert.That(Lsattr("f"), Does.Not.Contain('i'), "no flags at first");
        ProcessRunner.RunOk("chattr", "+i", P("f"));
        Assert.That(Lsattr("f"), Does.Contain('i'), "lsattr shows the flag");

        Assert.Multiple(() =>
        {
            Assert.That(Libc.TryOpen(P("f"), Libc.OWrOnly, out _), Is.EqualTo(Libc.EPerm), "open for writing");
            Assert.That(Libc.TryOpen(P("f"), Libc.ORdOnly | Libc.OTrunc, out _), Is.EqualTo(Libc.EPerm), "O_TRUNC");
            Assert.That(Libc.Unlink(P("f")), Is.EqualTo(Libc.EPerm), "unlink");
            Assert.That(Libc.Rename2(P("f"), P("g"), 0), Is.EqualTo(Libc.EPerm), "rename");
            Assert.That(Libc.Rename2(P("d"), P("f"), Libc.RenameExchange), Is.EqualTo(Libc.EPerm), "exchange");
            var sh = ProcessRunner.Run("sh", "-c", $"echo more >> {Q("f")}; chmod 0777 {Q("f")}; ln {Q("f")} {Q("d/link")}; truncate -s 0 {Q("f")}");
            Assert.That(sh.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contain("Operation not permitted"), sh.ToString());
            Assert.That(sh.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(4), sh.ToString());
            Assert.That(Assert.Throws<PosixException>(() => Libc.SetXattr(P("f"), "user.x", "1"u8))!.Errno, Is.EqualTo(Libc.EPerm), "setxattr");
            Assert.That(File.ReadAllText(P("f")), Is.EqualTo("fixed\n"), "readable, unchanged");
            Assert.That(Libc.Stat(P("f")).Permissions, Is.EqualTo(0x1a4u));
            Assert.That(File.Exists(P("d/link")), Is.False);
        });

        var nobody = ProcessRunner.RunAs(Nobody, Nobody, $"chattr -i {Q("f")}");
        Assert.That(nobody.ExitCode, Is.Not.Zero, "only root clears it: " + nobody);
        Assert.That(nobody.Stderr, Does.Contain("Operation not permitted"));
        Assert.That(Lsattr("f"), Does.Contain('i'));

        Remount();
        Assert.That(Lsattr("f"), Does.Contain('i'), "the flag survives a remount");
        Assert.That(Libc.Unlink(P("f")), Is.EqualTo(Libc.EPerm));
        ProcessRunner.RunOk("chattr", "-i", P("f"));
        Assert.That(Lsattr("f"), Does.Not.Contain('i'));
        File.AppendAllText(P("f"), "more\n");
        Assert.That(File.ReadAllText(P("f")), Is.EqualTo("fixed\nmore\n"));
        Assert.That(Libc.Unlink(P("f")), Is.Zero);
    }

    [Test]
    public void AppendOnlyTakesAppendsAndNothingElse()
    {
        File.WriteAllText(P("log"), "one\n");
        ProcessRunner.RunOk("chattr", "+a", P("log"));
        Assert.That(Lsattr("log"), Does.Contain('a'));

        ProcessRunner.RunOk("sh", "-c", $"echo two >> {Q("log")}");
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("log")), Is.EqualTo("one\ntwo\n"), "appends go through");
            Assert.That(Libc.TryOpen(P("log"), Libc.OWrOnly, out _), Is.EqualTo(Libc.EPerm), "open for writing without O_APPEND");
            Assert.That(Libc.Unlink(P("log")), Is.EqualTo(Libc.EPerm), "unlink");
            Assert.That(Libc.Rename2(P("log"), P("log2"), 0), Is.EqualTo(Libc.EPerm), "rename");
            var trunc = ProcessRunner.Run("truncate", "-s", "0", P("log"));
            Assert.That(trunc.Stderr, Does.Contain("Operation not permitted"), trunc.ToString());
            var punch = ProcessRunner.Run("fallocate", "-p", "-o", "0", "-l", "4096", P("log"));
            Assert.That(punch.Stderr, Does.Contain("Operation not permitted"), punch.ToString());
            Assert.That(File.ReadAllText(P("log")), Is.EqualTo("one\ntwo\n"));
        });
        int fd = Libc.Open(P("log"), Libc.ORdOnly);
        try
        {
            var fsxattr = new byte[28];
            Libc.Ioctl(fd, FsIocFsGetXattr, fsxattr);
            Assert.That(BitConverter.ToUInt32(fsxattr, 0), Is.EqualTo(0x10u), "FS_IOC_FSGETXATTR (xfs_io's lsattr) says FS_XFLAG_APPEND");
        }
        finally
        {
            Libc.Close(fd);
        }
        ProcessRunner.RunOk("chattr", "-a", P("log"));
        Assert.That(Libc.Unlink(P("log")), Is.Zero);
    }

    [Test]
    public void AnImmutableDirectoryTakesNoNewEntries()
    {
        Directory.CreateDirectory(P("d"));
        File.WriteAllText(P("d/inside"), "x");
        ProcessRunner.RunOk("chattr", "+i", P("d"));
        Assert.That(Lsattr("d", directory: true), Does.Contain('i'));
        var r = ProcessRunner.Run("sh", "-c", $"touch {Q("d/new")}; rm {Q("d/inside")}; mkdir {Q("d/sub")}");
        Assert.Multiple(() =>
        {
            Assert.That(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3), r.ToString());
            Assert.That(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contain("Operation not permitted"), r.ToString());
            Assert.That(Directory.EnumerateFileSystemEntries(P("d")).Select(Path.GetFileName), Is.EqualTo(new List<string> { "inside" }));
        });
        ProcessRunner.RunOk("chattr", "-i", P("d"));
    }
}
