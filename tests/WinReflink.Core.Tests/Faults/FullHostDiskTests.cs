using System.Diagnostics;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// The volume's folder on a small host filesystem that fills up (a tmpfs of a few MiB), as a new user
/// meets it: the commit fails for real (SQLite's WAL or the data file gets ENOSPC), the error is logged
/// and sticky, fsync of the changed files fails, and after room is made and the volume reopened,
/// everything committed before is there and `check` is clean. Needs root, to mount the tmpfs.
/// </summary>
[Platform("Linux", Reason = "mounts a tmpfs as the volume's host filesystem")]
public class FullHostDiskTests
{
    private const uint RegularFile = 0x81A4;
    private string _host = "";

    [SetUp]
    public void MountSmallHostFilesystem()
    {
        Assert.That(Environment.UserName, Is.EqualTo("root"), "this test mounts a tmpfs: run the tests as root (tools/test does)");
        _host = Path.Combine(Path.GetTempPath(), "wrl-fullhost-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_host);
        Run("mount", "-t", "tmpfs", "-o", "size=12m", "wrl-fullhost", _host);
    }

    [TearDown]
    public void Unmount()
    {
        Run("umount", _host);
        Directory.Delete(_host);
    }

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{program} {string.Join(' ', args)}: {err}");
    }

    /// <summary>Leaves the host filesystem no room.</summary>
    private static void FillHost(string filler)
    {
        using var f = File.Create(filler);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                f.Write(chunk);
                f.Flush();
            }
        }
        catch (IOException)
        {
        }
    }

    [Test]
    public void ACommitThatFindsTheHostDiskFullFailsEveryLaterFsyncAndLosesNothingCommitted()
    {
        string folder = Path.Combine(_host, "v.wrl");
        FileSystem.Format(folder, new FormatOptions { SizeBytes = 64L << 20 });
        var committed = new byte[256 * 1024];
        new Random(1).NextBytes(committed);
        long kept;
        using (var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 }))
        {
            Assert.That(fs.Create(FileSystem.RootIno, "kept", new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
            kept = attr.Ino;
            Assert.That(fs.Write(kept, 0, committed, out _), Is.EqualTo(FsError.Ok));
        }
        string filler = Path.Combine(_host, "filler");
        var a = new long[2];
        using (var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 }))
        {
            FillHost(filler);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.That(fs.Create(FileSystem.RootIno, $"new{i}", new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
                a[i] = attr.Ino;
                Assert.That(fs.Write(a[i], 0, new byte[1 << 20], out _), Is.EqualTo(FsError.Ok));
            }
            Assert.That(fs.Fsync(a[0]), Is.EqualTo(FsError.Io), "the host disk is full");
            Assert.That(fs.Failure, Is.Not.Null);
            Assert.That(fs.Fsync(a[0]), Is.EqualTo(FsError.Io));
            Assert.That(fs.Fsync(a[1]), Is.EqualTo(FsError.Io));
            Assert.That(fs.Flush(a[1]), Is.EqualTo(FsError.Io));
            Assert.That(fs.Fsync(kept), Is.EqualTo(FsError.Ok), "kept's changes were committed before");
        }
        File.Delete(filler);
        using (var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 }))
        {
            Assert.That(fs.Lookup(FileSystem.RootIno, "new0", out _), Is.EqualTo(FsError.NotFound));
            var content = new byte[committed.Length];
            Assert.That(fs.Read(kept, 0, content, out int n), Is.EqualTo(FsError.Ok));
            Assert.That(n, Is.EqualTo(committed.Length));
            Assert.That(content, Is.EqualTo(committed));
            Assert.That(fs.Check(), Is.Empty);
        }
    }

    /// <summary>A full host disk at open is named as such, not as corruption, and leaves nothing held (teardown unmounts).</summary>
    [Test]
    public void OpeningAVolumeOnAFullHostDiskSaysTheDiskIsFull()
    {
        string folder = Path.Combine(_host, "v.wrl");
        FileSystem.Format(folder, new FormatOptions { SizeBytes = 64L << 20 });
        FillHost(Path.Combine(_host, "filler"));
        var e = Assert.Throws<Volume.VolumeException>(() => FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero })!.Dispose());
        Assert.That(e!.Message, Does.Contain("disk full").And.Not.Contain("corrupt"));
    }
}
