using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// A <see cref="BlockStore"/> over a <see cref="CrashImage"/>: writes stay unflushed until Flush(),
/// so a simulated power cut can lose or tear them. Disposing it (as SimulateCrash does) leaves the
/// image as it is, for the next FileSystem instance to open.
/// </summary>
internal class CrashingBlockStore : BlockStore
{
    private readonly CrashImage _image;
    private readonly bool _ignoreFlushes;

    /// <param name="ignoreFlushes">A disk that lies about flushes: nothing becomes durable, so the survivor check must catch what a crash then loses.</param>
    public CrashingBlockStore(CrashImage image, int blockSize, long capacityBlocks, bool ignoreFlushes = false)
        : base(blockSize, capacityBlocks)
    {
        if (blockSize != image.BlockSize || capacityBlocks != image.CapacityBlocks)
        {
            throw new ArgumentException($"the image holds {image.CapacityBlocks} blocks of {image.BlockSize}, the volume {capacityBlocks} of {blockSize}");
        }
        _image = image;
        _ignoreFlushes = ignoreFlushes;
    }

    public override void Flush()
    {
        if (!_ignoreFlushes)
        {
            _image.Flush();
        }
    }

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        long block = offset / BlockSize;
        for (int done = 0; done < destination.Length; done += BlockSize)
        {
            _image.Read(block++, destination.Slice(done, BlockSize));
        }
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long block = offset / BlockSize;
        foreach (var buffer in buffers)
        {
            var span = buffer.Span;
            for (int done = 0; done < span.Length; done += BlockSize)
            {
                _image.Write(block++, span.Slice(done, BlockSize));
            }
        }
    }
}
