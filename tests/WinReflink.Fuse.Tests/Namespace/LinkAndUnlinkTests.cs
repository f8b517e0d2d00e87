using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>Hard links, and a file unlinked while open: usable until the last close, then its space is freed.</summary>
public sealed class LinkAndUnlinkTests : MountedTest
{
    [Test]
    public void HardLinksShareOneInode()
    {
        File.WriteAllText(P("original"), "shared");
        Directory.CreateDirectory(P("dir"));
        Libc.Link(P("original"), P("dir/second"));
        var a = Libc.Stat(P("original"));
        var b = Libc.Stat(P("dir/second"));
        Assert.Multiple(() =>
        {
            Assert.That(b.Ino, Is.EqualTo(a.Ino));
            Assert.That(a.Nlink, Is.EqualTo(2u));
        });
        File.AppendAllText(P("dir/second"), " and appended");
        Assert.That(File.ReadAllText(P("original")), Is.EqualTo("shared and appended"));

        Assert.That(Libc.Unlink(P("original")), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(Libc.Stat(P("dir/second")).Nlink, Is.EqualTo(1u));
            Assert.That(File.ReadAllText(P("dir/second")), Is.EqualTo("shared and appended"));
        });
        Assert.That(() => Libc.Link(P("dir"), P("dirlink")), Throws.TypeOf<PosixException>().With.Property("Errno").EqualTo(Libc.EPerm), "no hard links to directories");
    }

    [Test]
    public void UnlinkedOpenFileStaysUsableUntilCloseThenItsSpaceIsFreed()
    {
        const int Size = 16 << 20;
        var data = new byte[Size];
        new Random(3).NextBytes(data);
        long baseline = Info().UsedBytes;
        int fd = Libc.Open(P("doomed"), Libc.ORdWr | Libc.OCreat);
        bool closed = false;
        try
        {
            Libc.PWriteFully(fd, data, 0);
            Libc.Fsync(fd);
            Assert.That(Info().UsedBytes - baseline, Is.GreaterThanOrEqualTo(Size));

            Assert.That(Libc.Unlink(P("doomed")), Is.Zero);
            Assert.Multiple(() =>
            {
                Assert.That(File.Exists(P("doomed")), Is.False, "the name is gone");
                Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);
                Assert.That(Libc.FStat(fd).Nlink, Is.Zero);
            });

            var back = new byte[Size];
            Assert.That(Libc.PReadFully(fd, back, 0), Is.EqualTo(Size));
            Assert.That(back, Is.EqualTo(data), "still readable through the open descriptor");
            Libc.PWriteFully(fd, "written after unlink"u8, Size);
            var tail = new byte[20];
            Libc.PReadFully(fd, tail, Size);
            Assert.That(tail, Is.EqualTo("written after unlink"u8.ToArray()), "still writable");
            Assert.That(Libc.FStat(fd).Size, Is.EqualTo(Size + 20));
            Assert.That(Info().UsedBytes - baseline, Is.GreaterThanOrEqualTo(Size), "space stays in use while the file is open");

            Libc.Close(fd);
            closed = true;
            // RELEASE reaches the host after close(2) returns.
            long used = Info().UsedBytes;
            for (int i = 0; i < 100 && used - baseline >= Size; i++)
            {
                Thread.Sleep(50);
                used = Info().UsedBytes;
            }
            Assert.That(used - baseline, Is.LessThan(1 << 20), "the last close freed the file's blocks");
        }
        finally
        {
            if (!closed)
            {
                Libc.Close(fd);
            }
        }
    }

    [Test]
    public void UnlinkedOpenFileIsReclaimedAcrossARemount()
    {
        long baseline = Info().UsedBytes;
        var data = new byte[4 << 20];
        new Random(4).NextBytes(data);
        using (var stream = new FileStream(P("orphan"), FileMode.CreateNew, FileAccess.ReadWrite))
        {
            stream.Write(data);
            stream.Flush(flushToDisk: true);
            File.Delete(P("orphan"));
            stream.Position = 0;
            var back = new byte[data.Length];
            stream.ReadExactly(back);
            Assert.That(back, Is.EqualTo(data));
        }
        Remount();
        Assert.That(Info().UsedBytes - baseline, Is.LessThan(1 << 20), "no orphan's blocks remain after the remount");
    }
}
