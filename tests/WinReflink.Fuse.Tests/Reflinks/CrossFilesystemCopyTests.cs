using System.Security.Cryptography;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Reflinks;

/// <summary>
/// Copies between the mount and another filesystem cannot share extents; the tools fall back to
/// copying bytes (which copy recognition then shares with equal bytes already on the volume).
/// </summary>
public sealed class CrossFilesystemCopyTests : MountedTest
{
    [Test]
    public void CopiesInAndOutOfTheMountCopyTheBytes()
    {
        var data = new byte[5 << 20];
        new Random(13).NextBytes(data);
        string outside = Area.PathOf("outside.bin");
        File.WriteAllBytes(outside, data);

        ProcessRunner.RunOk("cp", outside, P("in-by-cp"));
        File.Copy(outside, P("in-by-file-copy"));
        ProcessRunner.RunOk("cp", P("in-by-cp"), Area.PathOf("out-by-cp"));
        File.Copy(P("in-by-file-copy"), Area.PathOf("out-by-file-copy"));

        string hash = Convert.ToHexString(SHA256.HashData(data));
        Assert.Multiple(() =>
        {
            foreach (string path in new[] { P("in-by-cp"), P("in-by-file-copy"), Area.PathOf("out-by-cp"), Area.PathOf("out-by-file-copy") })
            {
                Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), Is.EqualTo(hash), path);
            }
        });
        // Nothing is shared with the other filesystem; the second copy in repeats the first's bytes,
        // which copy recognition shares (issue 10), so the volume holds them once.
        Assert.That(Info().SharedBytes, Is.EqualTo(data.Length), "the two copies into the volume share their blocks, and nothing else is shared");

        int src = Libc.Open(outside, Libc.ORdOnly);
        int dst = Libc.Open(P("direct"), Libc.OWrOnly | Libc.OCreat);
        try
        {
            long n = Libc.CopyFileRange(src, 0, dst, 0, data.Length);
            Assert.That(n == -Libc.EXDev || n == data.Length, $"copy_file_range across filesystems: EXDEV or a byte copy, got {n}");
        }
        finally
        {
            Libc.Close(src);
            Libc.Close(dst);
        }
    }

    [Test]
    public void LimitsAreRefusedWithoutChangingTheFile()
    {
        File.WriteAllText(P("f"), "small");
        int fd = Libc.Open(P("f"), Libc.ORdWr);
        try
        {
            Assert.That(() => Libc.PWriteFully(fd, "x"u8, 1L << 50), Throws.TypeOf<PosixException>().With.Property("Errno").EqualTo(27), "EFBIG past the maximum file size");
            Assert.That(() => Libc.FTruncate(fd, (1L << 50) + 1), Throws.TypeOf<PosixException>().With.Property("Errno").EqualTo(27));
            Libc.PWriteFully(fd, "far"u8, 1L << 40);
            Assert.That(Libc.FStat(fd).Size, Is.EqualTo((1L << 40) + 3), "a 1 TiB sparse file on a 64 GiB volume");
            Assert.That(Libc.LSeek(fd, 4096, Libc.SeekData), Is.EqualTo(1L << 40));
            Libc.FTruncate(fd, 5);
        }
        finally
        {
            Libc.Close(fd);
        }
        Assert.That(File.ReadAllText(P("f")), Is.EqualTo("small"));
        string longName = new('n', 256);
        Assert.That(Libc.TryOpen(P(longName), Libc.OWrOnly | Libc.OCreat, out _), Is.EqualTo(36), "ENAMETOOLONG");
        Assert.That(Libc.TryOpen(P(new string('n', 255)), Libc.OWrOnly | Libc.OCreat, out int ok), Is.Zero, "255 bytes is allowed");
        Libc.Close(ok);
    }
}
