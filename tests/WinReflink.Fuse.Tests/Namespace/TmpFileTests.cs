using System.Security.Cryptography;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>O_TMPFILE: a file born without a name, given one by linkat, or gone without a trace at its last close.</summary>
public sealed class TmpFileTests : MountedTest
{
    [Test]
    public void TmpFileLinkedThroughProcSelfFdKeepsItsData()
    {
        Directory.CreateDirectory(P("dir"));
        var data = RandomNumberGenerator.GetBytes(300_000);
        int fd = Libc.Open(P("dir"), Libc.OTmpFile | Libc.ORdWr, 0x180);
        try
        {
            Libc.PWriteFully(fd, data, 0);
            Assert.That(Libc.FStat(fd).Nlink, Is.Zero, "born without a name");
            Assert.That(Directory.EnumerateFileSystemEntries(P("dir")), Is.Empty);
            Assert.That(Libc.LinkFollowing($"/proc/self/fd/{fd}", P("dir/linked")), Is.Zero, "linkat gives it a name");
            Assert.That(Libc.TryFStatFromFilesystem(fd, out var st), Is.Zero);
            Assert.That(st.Nlink, Is.EqualTo(1u));
        }
        finally
        {
            Libc.Close(fd);
        }
        Assert.That(File.ReadAllBytes(P("dir/linked")), Is.EqualTo(data));
        Assert.That(Libc.Stat(P("dir/linked")).Mode & 0xFFF, Is.EqualTo(0x180));

        Remount();
        Assert.That(File.ReadAllBytes(P("dir/linked")), Is.EqualTo(data), "the linked file survives a remount");
    }

    [Test]
    public void TmpFileNeverLinkedLeavesNothingBehind()
    {
        long baseline = Info().UsedBytes;
        var data = RandomNumberGenerator.GetBytes(4 << 20);
        int fd = Libc.Open(MountPoint, Libc.OTmpFile | Libc.ORdWr, 0x180);
        try
        {
            Libc.PWriteFully(fd, data, 0);
            Libc.Fsync(fd);
            var back = new byte[data.Length];
            Assert.That(Libc.PReadFully(fd, back, 0), Is.EqualTo(data.Length));
            Assert.That(back, Is.EqualTo(data));
            Assert.That(Info().UsedBytes - baseline, Is.GreaterThanOrEqualTo(data.Length), "its blocks are in use while it is open");
        }
        finally
        {
            Libc.Close(fd);
        }
        Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);

        Remount();
        Assert.Multiple(() =>
        {
            Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);
            Assert.That(Info().UsedBytes - baseline, Is.LessThan(1 << 20), "no blocks of it remain after the remount");
            Assert.That(Info().Files, Is.Zero, "and no inode");
        });
    }
}
