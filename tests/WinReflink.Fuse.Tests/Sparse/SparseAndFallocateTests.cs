using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Sparse;

/// <summary>
/// Holes, fallocate in every mode the host accepts (driven by util-linux fallocate), and
/// SEEK_DATA/SEEK_HOLE, which must reflect data written a moment ago and not yet flushed.
/// </summary>
public sealed class SparseAndFallocateTests : MountedTest
{
    private const long MiB = 1L << 20;

    [Test]
    public void SparseFileReadsZerosAndSeeksFindJustWrittenData()
    {
        string f = P("sparse");
        int fd = Libc.Open(f, Libc.ORdWr | Libc.OCreat);
        try
        {
            Libc.FTruncate(fd, 100 * MiB);
            Assert.That(Libc.FStat(fd).Blocks, Is.Zero, "a truncated-up file allocates nothing");
            Assert.That(Libc.LSeek(fd, 0, Libc.SeekData), Is.EqualTo(-Libc.ENxio), "no data at all yet");

            Libc.PWriteFully(fd, Fill(4096, 0xDD), 50 * MiB);
            Libc.PWriteFully(fd, Fill(10, 0xEE), (70 * MiB) + 100);
            Assert.Multiple(() =>
            {
                Assert.That(Libc.LSeek(fd, 0, Libc.SeekHole), Is.EqualTo(0));
                Assert.That(Libc.LSeek(fd, 0, Libc.SeekData), Is.EqualTo(50 * MiB));
                Assert.That(Libc.LSeek(fd, 50 * MiB, Libc.SeekHole), Is.EqualTo((50 * MiB) + 4096));
                Assert.That(Libc.LSeek(fd, (50 * MiB) + 4096, Libc.SeekData), Is.EqualTo(70 * MiB), "data starts at the block holding the 10 bytes");
                Assert.That(Libc.LSeek(fd, (70 * MiB) + 200, Libc.SeekData), Is.EqualTo((70 * MiB) + 200), "an offset inside data is its own answer");
                Assert.That(Libc.LSeek(fd, 70 * MiB, Libc.SeekHole), Is.EqualTo((70 * MiB) + 4096));
                Assert.That(Libc.LSeek(fd, (70 * MiB) + 4096, Libc.SeekData), Is.EqualTo(-Libc.ENxio), "no data after the last block");
                Assert.That(Libc.LSeek(fd, 99 * MiB, Libc.SeekHole), Is.EqualTo(99 * MiB));
                Assert.That(Libc.LSeek(fd, 100 * MiB, Libc.SeekHole), Is.EqualTo(-Libc.ENxio), "at EOF");
            });

            var buffer = new byte[MiB];
            Assert.That(Libc.PReadFully(fd, buffer, 49 * MiB), Is.EqualTo(MiB));
            Assert.That(buffer.All(b => b == 0), "the hole before the data reads as zeros");
            Assert.That(Libc.PReadFully(fd, buffer, 50 * MiB), Is.EqualTo(MiB));
            Assert.That(buffer[..4096].All(b => b == 0xDD) && buffer[4096..].All(b => b == 0), "the data, then zeros");
            Assert.That(Libc.PReadFully(fd, buffer.AsSpan(0, 300), 70 * MiB), Is.EqualTo(300));
            Assert.That(buffer[..100].All(b => b == 0) && buffer[100..110].All(b => b == 0xEE) && buffer[110..300].All(b => b == 0));

            Libc.Fsync(fd);
            Assert.That(Libc.FStat(fd).AllocatedBytes, Is.EqualTo(8192), "two blocks allocated");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Test]
    public void FallocateCommandAllocatesKeepsSizePunchesAndZeroes()
    {
        string f = P("falloc");
        var expected = new byte[17 * MiB];
        ProcessRunner.RunOk("fallocate", "-l", "16M", f);
        var s = Libc.Stat(f);
        Assert.That(s.Size, Is.EqualTo(16 * MiB));
        Assert.That(s.AllocatedBytes, Is.GreaterThanOrEqualTo(16 * MiB), "fallocate reserves the blocks");
        AssertContent(f, expected.AsSpan(0, (int)(16 * MiB)), "after fallocate -l");

        new Random(11).NextBytes(expected.AsSpan(0, (int)(16 * MiB)));
        File.WriteAllBytes(f, expected[..(int)(16 * MiB)]);

        ProcessRunner.RunOk("fallocate", "-n", "-o", "16M", "-l", "8M", f);
        s = Libc.Stat(f);
        Assert.That(s.Size, Is.EqualTo(16 * MiB), "-n keeps the size");
        Assert.That(s.AllocatedBytes, Is.GreaterThanOrEqualTo(24 * MiB), "-n still allocates past EOF");

        long allocatedBeforePunch = s.AllocatedBytes;
        ProcessRunner.RunOk("fallocate", "-p", "-o", "4096", "-l", "8192", f);
        expected.AsSpan(4096, 8192).Clear();
        int fd = Libc.Open(f, Libc.ORdWr);
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(Libc.FStat(fd).AllocatedBytes, Is.EqualTo(allocatedBeforePunch - 8192), "punching frees the two blocks");
                Assert.That(Libc.LSeek(fd, 0, Libc.SeekHole), Is.EqualTo(4096));
                Assert.That(Libc.LSeek(fd, 4096, Libc.SeekData), Is.EqualTo(12288));
            });
            Libc.PWriteFully(fd, [0x7f], 8192 + 5);
            expected[8192 + 5] = 0x7f;
            Assert.That(Libc.LSeek(fd, 4096, Libc.SeekData), Is.EqualTo(8192), "a byte just written into the hole is data at once");
            Assert.That(Libc.LSeek(fd, 4096, Libc.SeekHole), Is.EqualTo(4096), "the first punched block is still a hole");
            Assert.That(Libc.LSeek(fd, 8192, Libc.SeekHole), Is.EqualTo(16 * MiB), "data runs from the new byte's block to EOF");
        }
        finally
        {
            Libc.Close(fd);
        }

        // Unaligned punch: the partial blocks at both ends are zeroed, the whole ones in between freed.
        ProcessRunner.RunOk("fallocate", "-p", "-o", (2 * MiB + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", "10000", f);
        expected.AsSpan((int)(2 * MiB) + 1000, 10000).Clear();

        ProcessRunner.RunOk("fallocate", "-z", "-o", (MiB + 100).ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", "5000", f);
        expected.AsSpan((int)MiB + 100, 5000).Clear();
        Assert.That(Libc.Stat(f).Size, Is.EqualTo(16 * MiB), "-z inside the file keeps the size");

        ProcessRunner.RunOk("fallocate", "-z", "-o", "15M", "-l", "2M", f);
        expected.AsSpan((int)(15 * MiB), (int)(2 * MiB)).Clear();
        Assert.That(Libc.Stat(f).Size, Is.EqualTo(17 * MiB), "-z past EOF extends the file");

        AssertContent(f, expected, "after the punches and zero ranges");
    }

    [Test]
    public void UnsupportedModeAndNoSpaceChangeNothing()
    {
        string f = P("f");
        var data = new byte[MiB];
        new Random(5).NextBytes(data);
        File.WriteAllBytes(f, data);
        var before = Libc.Stat(f);
        var r = ProcessRunner.Run("fallocate", "-c", "-o", "0", "-l", "4096", f);
        Assert.That(r.ExitCode, Is.Not.Zero, "collapse range is not offered");
        Assert.That(r.Stderr, Does.Contain("not supported"), r.ToString());

        r = ProcessRunner.Run("fallocate", "-l", "100G", f);
        Assert.That(r.ExitCode, Is.Not.Zero, "100 GiB does not fit a 64 GiB volume");
        Assert.That(r.Stderr, Does.Contain("No space left"), r.ToString());

        var after = Libc.Stat(f);
        Assert.Multiple(() =>
        {
            Assert.That(after.Size, Is.EqualTo(before.Size));
            Assert.That(after.AllocatedBytes, Is.EqualTo(before.AllocatedBytes));
            Assert.That(File.ReadAllBytes(f), Is.EqualTo(data));
        });
    }

    [Test]
    public void PunchAndZeroRangeInACloneLeaveTheSourceIntact()
    {
        string src = P("src"), clone = P("clone");
        var data = new byte[4 * MiB];
        new Random(9).NextBytes(data);
        File.WriteAllBytes(src, data);
        File.Copy(src, clone);
        Assert.That(Info().SharedBytes, Is.EqualTo(4 * MiB));

        int fd = Libc.Open(clone, Libc.ORdWr);
        try
        {
            Assert.That(Libc.Fallocate(fd, Libc.FallocPunchHole | Libc.FallocKeepSize, MiB, MiB), Is.Zero);
            Assert.That(Libc.Fallocate(fd, Libc.FallocZeroRange, (3 * MiB) + 10, 4000), Is.Zero);
            Assert.That(Libc.LSeek(fd, MiB, Libc.SeekData), Is.EqualTo(2 * MiB), "the punched range of the clone is a hole");
        }
        finally
        {
            Libc.Close(fd);
        }
        var expected = (byte[])data.Clone();
        expected.AsSpan((int)MiB, (int)MiB).Clear();
        expected.AsSpan((int)(3 * MiB) + 10, 4000).Clear();
        AssertContent(clone, expected, "the clone");
        AssertContent(src, data, "the source");
    }

    private static void AssertContent(string path, ReadOnlySpan<byte> expected, string what)
    {
        byte[] actual = File.ReadAllBytes(path);
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: size");
        int same = actual.AsSpan().CommonPrefixLength(expected);
        Assert.That(same, Is.EqualTo(expected.Length), $"{what}: first difference at offset {same}");
    }

    private static byte[] Fill(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }
}
