using System.Buffers.Binary;
using System.Security.Cryptography;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>
/// Large files with content that is cheap to produce and to predict: a seeded random MiB repeated,
/// each 4 KiB block stamped with its own index, so a block in the wrong place changes the hash.
/// </summary>
internal sealed class PatternFile
{
    public const int ChunkBytes = 1 << 20;
    private readonly byte[] _chunk;

    public PatternFile(int seed)
    {
        _chunk = new byte[ChunkBytes];
        new Random(seed).NextBytes(_chunk);
    }

    /// <summary>The bytes of the chunk that starts at <paramref name="offset"/> (a multiple of 1 MiB).</summary>
    public void Fill(Span<byte> chunk, long offset)
    {
        _chunk.AsSpan(0, chunk.Length).CopyTo(chunk);
        for (int b = 0; b + 8 <= chunk.Length; b += 4096)
        {
            BinaryPrimitives.WriteInt64LittleEndian(chunk[b..], (offset + b) / 4096);
        }
    }

    /// <summary>Creates the file with <paramref name="size"/> bytes of the pattern in 1 MiB writes; returns its SHA-256.</summary>
    public byte[] Write(string path, long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkBytes];
        int fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl);
        try
        {
            for (long off = 0; off < size; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, size - off);
                Fill(buffer.AsSpan(0, n), off);
                Libc.PWriteFully(fd, buffer.AsSpan(0, n), off);
                hash.AppendData(buffer, 0, n);
            }
        }
        finally
        {
            Libc.Close(fd);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Reads the file and compares it with the pattern of <paramref name="size"/> bytes with
    /// <paramref name="overlays"/> written over it in order; fails naming the first differing offset.
    /// </summary>
    public void AssertContent(string path, long size, string what, params (long Offset, byte[] Data)[] overlays)
    {
        Assert.That(Libc.Stat(path).Size, Is.EqualTo(size), $"{what}: size");
        var expected = new byte[ChunkBytes];
        var actual = new byte[ChunkBytes];
        int fd = Libc.Open(path, Libc.ORdOnly);
        try
        {
            for (long off = 0; off < size; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, size - off);
                Fill(expected.AsSpan(0, n), off);
                foreach (var (o, data) in overlays)
                {
                    long from = Math.Max(o, off), to = Math.Min(o + data.Length, off + n);
                    if (from < to)
                    {
                        data.AsSpan((int)(from - o), (int)(to - from)).CopyTo(expected.AsSpan((int)(from - off)));
                    }
                }
                int got = Libc.PReadFully(fd, actual.AsSpan(0, n), off);
                int diff = got < n ? got : actual.AsSpan(0, n).CommonPrefixLength(expected.AsSpan(0, n));
                if (diff < n)
                {
                    Assert.Fail($"{what}: differs from the expected content at offset {off + diff} (read {got} of {n} bytes of the MiB at {off})");
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>SHA-256 of a file read with 1 MiB preads.</summary>
    public static byte[] Hash(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkBytes];
        int fd = Libc.Open(path, Libc.ORdOnly);
        try
        {
            long off = 0;
            while (true)
            {
                int n = Libc.PReadFully(fd, buffer, off);
                if (n == 0)
                {
                    break;
                }
                hash.AppendData(buffer, 0, n);
                off += n;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of an existing file with one pwrite.</summary>
    public static void Overwrite(string path, long offset, byte[] data)
    {
        int fd = Libc.Open(path, Libc.OWrOnly);
        try
        {
            Libc.PWriteFully(fd, data, offset);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
