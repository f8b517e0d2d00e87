using System.Buffers.Binary;
using WinReflink.Core;
using WinReflink.Tests.Engine;

namespace WinReflink.Bench.Engine;

/// <summary>
/// Whole-file writes and reads in fixed-size calls, as `dd bs=1M` does. Each chunk carries its own
/// offset in its first bytes (the rest is random), so no chunk equals another and a read that returns
/// the wrong data is noticed instead of measured.
/// </summary>
internal sealed class SequentialIo
{
    private readonly byte[] _buffer;

    public SequentialIo(int chunkBytes, int seed)
    {
        _buffer = new byte[chunkBytes];
        new Random(seed).NextBytes(_buffer);
    }

    public void Write(FileSystem fs, long ino, long size)
    {
        for (long offset = 0; offset < size; offset += _buffer.Length)
        {
            int n = (int)Math.Min(_buffer.Length, size - offset);
            BinaryPrimitives.WriteInt64LittleEndian(_buffer, offset);
            EngineCall.Check(fs.Write(ino, offset, _buffer.AsSpan(0, n), out int written), "write");
            if (written != n)
            {
                throw new InvalidOperationException($"short write at {offset}: {written} of {n} bytes");
            }
        }
    }

    /// <summary>Reads the file back and checks the offset stamp of every chunk.</summary>
    public void Read(FileSystem fs, long ino, long size)
    {
        var buffer = new byte[_buffer.Length];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - offset);
            EngineCall.Check(fs.Read(ino, offset, buffer.AsSpan(0, n), out int read), "read");
            if (read != n || BinaryPrimitives.ReadInt64LittleEndian(buffer) != offset)
            {
                throw new InvalidOperationException($"read at {offset} returned {read} bytes that are not the ones written");
            }
        }
    }

    /// <summary>A byte copy through the engine: read a chunk of the source, write it to the destination.</summary>
    public void Copy(FileSystem fs, long sourceIno, long destinationIno, long size)
    {
        var buffer = new byte[_buffer.Length];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - offset);
            EngineCall.Check(fs.Read(sourceIno, offset, buffer.AsSpan(0, n), out int read), "read");
            EngineCall.Check(fs.Write(destinationIno, offset, buffer.AsSpan(0, read), out _), "write");
        }
    }
}
