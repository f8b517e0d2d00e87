namespace WinReflink.Core.Storage;

/// <summary>
/// The data file failed a read. Unlike a failed write, this loses nothing: the engine answers EIO to
/// the read that needed the blocks and the volume carries on (a failed write-back stops it).
/// </summary>
internal sealed class BlockReadException : IOException
{
    public BlockReadException(long block, long blocks, IOException inner)
        : base($"reading {blocks} block(s) at physical block {block} of the data file failed: {inner.Message}", inner)
    {
        Block = block;
        Blocks = blocks;
    }

    public long Block { get; }
    public long Blocks { get; }
}
