using System.Diagnostics;
using WinReflink.Core;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Errors;

/// <summary>
/// Issue 6, defect 2, as a new user met it: the volume's folder on a small host filesystem that fills
/// up. The commit fails with ENOSPC; from then on fsync and close of the files whose changes were lost
/// fail with EIO, unmount says the volume failed and exits non-zero, and after a remount what was
/// fsync'd before is intact and `check` is clean.
/// </summary>
public sealed class FullHostDiskTests
{
    private const int EIo = 5;
    private TestArea? _area;
    private string _host = "";

    [SetUp]
    public void MountSmallHost()
    {
        _area = TestArea.Create();
        _host = _area.PathOf("host");
        Directory.CreateDirectory(_host);
        Run("mount", "-t", "tmpfs", "-o", "size=16m", "wrl-fullhost", _host);
    }

    [TearDown]
    public void Cleanup()
    {
        if (MountTable.IsMounted(_area!.MountPoint))
        {
            Libc.DetachMount(_area.MountPoint);
        }
        Run("umount", _host);
        _area.Dispose();
    }

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{program} {string.Join(' ', args)}: {err}");
    }

    private static int Errno(Action call)
    {
        try
        {
            call();
            return 0;
        }
        catch (PosixException e)
        {
            return e.Errno;
        }
    }

    [Test]
    public void FsyncCloseAndUnmountReportACommitThatFoundTheHostDiskFull()
    {
        string volume = Path.Combine(_host, "v.wrl");
        FileSystem.Format(volume, new FormatOptions { SizeBytes = 64L << 20 });
        string mp = _area!.MountPoint;
        var kept = new byte[200_000];
        new Random(1).NextBytes(kept);
        var mount = MountProcess.Start(volume, mp);
        try
        {
            File.WriteAllBytes(Path.Combine(mp, "kept"), kept);
            int keptFd = Libc.Open(Path.Combine(mp, "kept"), Libc.ORdWr);
            Libc.Fsync(keptFd);

            using (var filler = File.Create(Path.Combine(_host, "filler")))
            {
                var chunk = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        filler.Write(chunk);
                        filler.Flush();
                    }
                }
                catch (IOException)
                {
                }
            }
            var fds = new int[2];
            for (int i = 0; i < fds.Length; i++)
            {
                fds[i] = Libc.Open(Path.Combine(mp, $"lost{i}"), Libc.OCreat | Libc.ORdWr);
                Libc.PWriteFully(fds[i], new byte[1 << 20], 0);
            }
            Assert.That(Errno(() => Libc.Fsync(fds[0])), Is.EqualTo(EIo), "the commit fails: the host disk is full");
            Assert.That(Errno(() => Libc.Fsync(fds[0])), Is.EqualTo(EIo), "the error is sticky");
            Assert.That(Errno(() => Libc.Fsync(fds[1])), Is.EqualTo(EIo), "lost1's changes were in the failed commit too");
            Assert.That(Libc.Close(fds[1]), Is.EqualTo(-1), "close reports the loss");
            Assert.That(Libc.LastErrno, Is.EqualTo(EIo));
            Assert.That(Errno(() => Libc.Fsync(keptFd)), Is.Zero, "kept has no lost change");
            Libc.Close(fds[0]);
            Libc.Close(keptFd);

            var r = Programs.Winreflink("unmount", mp);
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            int code = mount.WaitForExitCode();
            Assert.That(code, Is.EqualTo(1), mount.Stderr);
            Assert.That(mount.Stderr, Does.Contain("the volume failed while mounted").And.Contain("commit failed"));
            Assert.That(mount.Stdout, Does.Not.Contain("closed cleanly"));
        }
        finally
        {
            mount.Dispose();
        }
        File.Delete(Path.Combine(_host, "filler"));
        var again = MountProcess.Start(volume, mp);
        try
        {
            Assert.That(File.ReadAllBytes(Path.Combine(mp, "kept")), Is.EqualTo(kept));
            Assert.That(File.Exists(Path.Combine(mp, "lost0")), Is.False, "never committed");
            again.Unmount();
        }
        finally
        {
            again.Dispose();
        }
        VolumeCheck.AssertClean(volume);
    }
}
