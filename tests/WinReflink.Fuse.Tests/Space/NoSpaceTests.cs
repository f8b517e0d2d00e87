using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Space;

/// <summary>
/// A small volume run out of space through the mount: writes and copy-on-write of shared blocks fail
/// with ENOSPC, what was written stays readable, and deleting gives the space back.
/// </summary>
public sealed class NoSpaceTests : MountedTest
{
    private const long Capacity = 64L << 20;

    protected override long? VolumeSizeBytes => Capacity;

    [Test]
    public void FillingTheVolumeFailsWithEnospcAndDeletingFreesIt()
    {
        var dd = ProcessRunner.Run("dd", "if=/dev/urandom", $"of={P("filler")}", "bs=1M", "count=100", "iflag=fullblock");
        Assert.That(dd.ExitCode, Is.Not.Zero, dd.ToString());
        Assert.That(dd.Stderr, Does.Contain("No space left on device"), dd.ToString());
        long written = Libc.Stat(P("filler")).Size;
        Assert.That(written, Is.InRange(Capacity - (8L << 20), Capacity), "the volume filled up to (nearly) its capacity");
        Assert.That(Info().FreeBytes, Is.LessThan(1L << 20));
        var df = ProcessRunner.RunOk("stat", "-f", "-c", "%a %S", MountPoint);
        long[] avail = df.Stdout.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.That(avail[0] * avail[1], Is.LessThan(1L << 20), "statfs shows the volume full");

        // coreutils echo, which names the errno (dash's builtin says "I/O error" for any failed write).
        var more = ProcessRunner.Run("sh", "-c", $"/bin/echo more > '{P("one-more")}'");
        Assert.That(more.Stderr, Does.Contain("No space left on device"), more.ToString());
        var head = new byte[4096];
        using (var s = File.OpenRead(P("filler")))
        {
            s.ReadExactly(head);
        }

        File.Delete(P("filler"));
        Assert.That(FreeBytesOnceForgotten(), Is.GreaterThan(Capacity - (2L << 20)), "deleting gave the space back");
        // Freed blocks are reusable once the freeing transaction is durable (invariant 4); the engine commits
        // by itself when only they stand between a write and ENOSPC, so no fsync is needed here.
        File.WriteAllBytes(P("after"), new byte[8 << 20]);
        Assert.That(new FileInfo(P("after")).Length, Is.EqualTo(8L << 20));
    }

    [Test]
    public void CopyOnWriteWithoutSpaceFailsAndLeavesBothFilesReadable()
    {
        var data = new byte[40 << 20];
        new Random(17).NextBytes(data);
        File.WriteAllBytes(P("src"), data);
        ProcessRunner.RunOk("cp", P("src"), P("clone"));
        Assert.That(Info().SharedBytes, Is.EqualTo(40L << 20), "the clone costs nothing");

        // Rewriting the whole clone needs 40 MiB of new blocks; about 24 are free.
        var rewrite = new byte[40 << 20];
        new Random(18).NextBytes(rewrite);
        long done = 0;
        int error = 0;
        int fd = Libc.Open(P("clone"), Libc.OWrOnly);
        try
        {
            for (; done < rewrite.Length; done += 1 << 20)
            {
                try
                {
                    Libc.PWriteFully(fd, rewrite.AsSpan((int)done, 1 << 20), done);
                }
                catch (PosixException e)
                {
                    error = e.Errno;
                    break;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
        Assert.That(error, Is.EqualTo(28), $"ENOSPC partway (after {done >> 20} MiB)");
        Assert.That(done, Is.GreaterThan(0));

        Assert.That(File.ReadAllBytes(P("src")), Is.EqualTo(data), "the source is intact");
        var clone = File.ReadAllBytes(P("clone"));
        Assert.That(clone.AsSpan(0, (int)done).SequenceEqual(rewrite.AsSpan(0, (int)done)), "the clone has every MiB written before ENOSPC");
        Assert.That(clone.AsSpan((int)done + (1 << 20)).SequenceEqual(data.AsSpan((int)done + (1 << 20))), "and the source's bytes after the failed MiB");
        File.Delete(P("src"));
        File.Delete(P("clone"));
        Assert.That(Capacity - FreeBytesOnceForgotten(), Is.LessThan(1L << 20), "everything freed");
    }

    /// <summary>
    /// Free bytes once deleted files are gone: their blocks are freed when the kernel lets go of the
    /// inode, and its FORGET follows the RELEASE of the last descriptor, after close(2) has returned.
    /// </summary>
    private long FreeBytesOnceForgotten()
    {
        long free = Info().FreeBytes;
        for (int i = 0; i < 100 && free <= Capacity - (2L << 20); i++)
        {
            Thread.Sleep(50);
            free = Info().FreeBytes;
        }
        return free;
    }
}
