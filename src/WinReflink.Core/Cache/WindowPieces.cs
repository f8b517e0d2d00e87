namespace WinReflink.Core.Cache;

/// <summary>One piece of a byte range that lies in one cache window.</summary>
/// <param name="Window">The window's first physical block.</param>
/// <param name="InWindow">Where the piece starts in the window, in bytes.</param>
/// <param name="Length">The piece's length in bytes.</param>
/// <param name="Done">Where the piece starts in the range, in bytes.</param>
/// <param name="First">The piece's first block in the window.</param>
/// <param name="Last">The piece's last block in the window.</param>
internal readonly record struct WindowPiece(long Window, int InWindow, int Length, int Done, int First, int Last);

/// <summary>A byte range at a physical byte position cut at window boundaries, in order (a struct enumerator: nothing allocated).</summary>
internal struct WindowPieces
{
    private readonly int _blockSize;
    private readonly int _windowBytes;
    private readonly int _length;
    private long _pos;
    private int _done;

    public WindowPieces(long physicalByte, int length, int blockSize)
    {
        _blockSize = blockSize;
        _windowBytes = ExtentCache.WindowBlocks * blockSize;
        _length = length;
        _pos = physicalByte;
        _done = 0;
        Current = default;
    }

    public WindowPiece Current { get; private set; }

    public readonly WindowPieces GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_done >= _length)
        {
            return false;
        }
        long block = _pos / _blockSize;
        long window = block - block % ExtentCache.WindowBlocks;
        int inWindow = (int)(_pos - window * _blockSize);
        int n = Math.Min(_length - _done, _windowBytes - inWindow);
        Current = new WindowPiece(window, inWindow, n, _done, inWindow / _blockSize, (inWindow + n - 1) / _blockSize);
        _done += n;
        _pos += n;
        return true;
    }
}
