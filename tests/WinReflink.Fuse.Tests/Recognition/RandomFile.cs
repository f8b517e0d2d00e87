using System.Security.Cryptography;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Recognition;

/// <summary>The SHA-256 of a file as written, and of it with each overlay written over it (each alone).</summary>
internal sealed record RandomFileHashes(byte[] Content, IReadOnlyList<byte[]> WithOverlay);

/// <summary>
/// Files of fresh random bytes: no 4 KiB block repeats any other block on the volume, so only a copy
/// of the file can match its blocks. The content is not kept: its hashes, and the hashes of the
/// content with the writes a test will make later, are taken while it is written.
/// </summary>
internal static class RandomFile
{
    public const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Creates the file with <paramref name="size"/> random bytes in 1 MiB writes and fsyncs it, so its
    /// blocks are clean in the ExtentCache on return; hashes it alone and with each of <paramref name="overlays"/>.
    /// </summary>
    public static RandomFileHashes Write(string path, long size, params (long Offset, byte[] Data)[] overlays)
    {
        using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var withOverlay = overlays.Select(_ => IncrementalHash.CreateHash(HashAlgorithmName.SHA256)).ToArray();
        var chunk = new byte[ChunkBytes];
        var scratch = new byte[ChunkBytes];
        int fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl);
        try
        {
            for (long off = 0; off < size; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, size - off);
                Random.Shared.NextBytes(chunk.AsSpan(0, n));
                Libc.PWriteFully(fd, chunk.AsSpan(0, n), off);
                content.AppendData(chunk, 0, n);
                for (int i = 0; i < overlays.Length; i++)
                {
                    var (o, data) = overlays[i];
                    long from = Math.Max(o, off), to = Math.Min(o + data.Length, off + n);
                    if (from >= to)
                    {
                        withOverlay[i].AppendData(chunk, 0, n);
                        continue;
                    }
                    chunk.AsSpan(0, n).CopyTo(scratch);
                    data.AsSpan((int)(from - o), (int)(to - from)).CopyTo(scratch.AsSpan((int)(from - off)));
                    withOverlay[i].AppendData(scratch, 0, n);
                }
            }
            Libc.Fsync(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
        var hashes = new RandomFileHashes(content.GetHashAndReset(), withOverlay.Select(h => h.GetHashAndReset()).ToArray());
        foreach (var h in withOverlay)
        {
            h.Dispose();
        }
        return hashes;
    }

    /// <summary>fsync(2) of a file by path: what a copy wrote is on data.img and counted in usedBytes on return.</summary>
    public static void Fsync(string path)
    {
        int fd = Libc.Open(path, Libc.ORdOnly);
        try
        {
            Libc.Fsync(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The offsets (at most <paramref name="max"/>) where two files of equal size differ, read in 1 MiB preads.</summary>
    public static List<long> Differences(string a, string b, int max = 10)
    {
        long size = Libc.Stat(a).Size;
        Assert.That(Libc.Stat(b).Size, Is.EqualTo(size), $"{b} has the size of {a}");
        var result = new List<long>();
        var bufferA = new byte[ChunkBytes];
        var bufferB = new byte[ChunkBytes];
        int fdA = Libc.Open(a, Libc.ORdOnly);
        int fdB = Libc.Open(b, Libc.ORdOnly);
        try
        {
            for (long off = 0; off < size && result.Count < max; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, size - off);
                Assert.That(Libc.PReadFully(fdA, bufferA.AsSpan(0, n), off), Is.EqualTo(n), $"read of {a} at {off}");
                Assert.That(Libc.PReadFully(fdB, bufferB.AsSpan(0, n), off), Is.EqualTo(n), $"read of {b} at {off}");
                for (int i = 0; i < n && result.Count < max; i++)
                {
                    int same = bufferA.AsSpan(i, n - i).CommonPrefixLength(bufferB.AsSpan(i, n - i));
                    i += same;
                    if (i < n)
                    {
                        result.Add(off + i);
                    }
                }
            }
        }
        finally
        {
            Libc.Close(fdA);
            Libc.Close(fdB);
        }
        return result;
    }

    /// <summary>One byte of a file.</summary>
    public static byte ByteAt(string path, long offset)
    {
        var one = new byte[1];
        int fd = Libc.Open(path, Libc.ORdOnly);
        try
        {
            Assert.That(Libc.PReadFully(fd, one, offset), Is.EqualTo(1), $"read of {path} at {offset}");
        }
        finally
        {
            Libc.Close(fd);
        }
        return one[0];
    }
}
