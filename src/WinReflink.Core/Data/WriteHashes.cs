using System.Buffers;

namespace WinReflink.Core.Data;

/// <summary>
/// The hashes of a write's whole, block-aligned blocks, by logical block from <see cref="FirstLogical"/>
/// on: copy recognition looks them up, and the cache keeps them with the dirty blocks so write-back
/// indexes them without hashing again. The default holds none. Rented from the pool: dispose once.
/// </summary>
internal readonly struct WriteHashes : IDisposable
{
    private readonly ulong[]? _rented;
    private readonly int _count;
    private readonly int _blockSize;

    public WriteHashes(long offset, int length, int blockSize)
    {
        _blockSize = blockSize;
        FirstLogical = (offset + blockSize - 1) / blockSize;
        _count = (int)Math.Max(0, (offset + length) / blockSize - FirstLogical);
        _rented = _count > 0 ? ArrayPool<ulong>.Shared.Rent(_count) : null;
    }

    /// <summary>The first whole block of the write.</summary>
    public long FirstLogical { get; }

    public Span<ulong> Span => _rented.AsSpan(0, _count);

    /// <summary>The bytes of the whole blocks in <paramref name="data"/>, written at <paramref name="offset"/>.</summary>
    public ReadOnlySpan<byte> WholeBlocks(long offset, ReadOnlySpan<byte> data) =>
        _count == 0 ? default : data.Slice((int)(FirstLogical * _blockSize - offset), _count * _blockSize);

    /// <summary>The hashes of the whole blocks from the first block boundary at or after <paramref name="byteOffset"/> on.</summary>
    public ReadOnlySpan<ulong> From(long byteOffset)
    {
        if (_count == 0)
        {
            return default;
        }
        long i = (byteOffset + _blockSize - 1) / _blockSize - FirstLogical;
        return i >= 0 && i < _count ? Span[(int)i..] : default;
    }

    public void Dispose()
    {
        if (_rented != null)
        {
            ArrayPool<ulong>.Shared.Return(_rented);
        }
    }
}
