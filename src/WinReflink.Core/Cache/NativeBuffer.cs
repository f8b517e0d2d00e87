using System.Buffers;
using System.Runtime.InteropServices;

namespace WinReflink.Core.Cache;

/// <summary>
/// Block-aligned native memory, as unbuffered I/O requires, exposed as <see cref="Memory{T}"/> so a
/// run of cache windows can go to the data file in one gather write. Either owns its memory or
/// borrows a window of a <see cref="WindowMemory"/> slab and gives it back on dispose.
/// </summary>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private readonly WindowMemory? _pool;
    private byte* _pointer;

    public NativeBuffer(int length, int alignment)
    {
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
    }

    internal NativeBuffer(byte* pointer, int length, WindowMemory pool)
    {
        Length = length;
        _pointer = pointer;
        _pool = pool;
    }

    public int Length { get; }

    public override Span<byte> GetSpan() => new(_pointer, Length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer == null)
        {
            return;
        }
        if (_pool != null)
        {
            _pool.Return(_pointer);
        }
        else
        {
            NativeMemory.AlignedFree(_pointer);
        }
        _pointer = null;
    }
}
