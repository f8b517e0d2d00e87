namespace WinReflink.Core.Check;

/// <summary>
/// Invariant 8 (bytes past the end of a file are zeros) over the blocks holding files' partial last
/// blocks. The inode pass only notes each such block with its file (<see cref="QueueZeroTail"/>);
/// they are read afterwards in physical order, adjacent blocks in one read, so the reads of data.img
/// (unbuffered) go forward through it rather than jumping once per file in inode order. Only noted
/// blocks are read: the read goes through the data cache, and a free block read into it would later
/// stand for a newly allocated block's old bytes.
/// Holds one read's blocks and the items of one read (at most <see cref="MaxItemsPerRead"/>).
/// </summary>
internal sealed partial class StoredVolumeChecker
{
    /// <summary>The most blocks one read of data.img takes.</summary>
    private const int MaxBlocksPerRead = 64;

    /// <summary>Partial last blocks checked from one read at most (blocks several files share count once per file).</summary>
    private const int MaxItemsPerRead = 4096;

    /// <summary>(physical byte where a file's bytes end inside its last block, the file): the blocks to check, once sorted.</summary>
    private readonly ExternalSort _tails;

    /// <summary>Notes the file's last block, at <paramref name="physical"/>, for <see cref="CheckZeroTails"/>; on entry the size is not a multiple of the block size.</summary>
    private void QueueZeroTail(InodeRow inode, long physical)
    {
        if (physical < 0 || physical >= _settings.CapacityBlocks)
        {
            return;
        }
        // Within the volume, so the byte position fits: the capacity in bytes does.
        _tails.Add(physical * _settings.BlockSize + inode.Size % _settings.BlockSize, inode.Ino);
    }

    /// <summary>Every noted block in physical order: the bytes past its file's end are zeros.</summary>
    private void CheckZeroTails(VolumeChecker.ReadBlock read)
    {
        int blockSize = _settings.BlockSize;
        var buffer = new byte[MaxBlocksPerRead * blockSize];
        var items = new List<(long EndByte, long Ino)>();
        long first = 0, last = 0;
        foreach (var (endByte, ino) in _tails.Sorted())
        {
            long block = endByte / blockSize;
            if (items.Count > 0 && (block - last > 1 || block - first >= MaxBlocksPerRead || items.Count == MaxItemsPerRead))
            {
                CheckRead(read, buffer, first, last, items);
            }
            if (items.Count == 0)
            {
                first = block;
            }
            last = block;
            items.Add((endByte, ino));
        }
        if (items.Count > 0)
        {
            CheckRead(read, buffer, first, last, items);
        }
    }

    /// <summary>Reads blocks <paramref name="first"/>..<paramref name="last"/> and checks the items in them; empties <paramref name="items"/>.</summary>
    private void CheckRead(VolumeChecker.ReadBlock read, byte[] buffer, long first, long last, List<(long EndByte, long Ino)> items)
    {
        int blockSize = _settings.BlockSize;
        read(first, buffer.AsSpan(0, (int)(last - first + 1) * blockSize));
        foreach (var (endByte, ino) in items)
        {
            long block = endByte / blockSize;
            int tail = (int)(endByte % blockSize);
            var bytes = buffer.AsSpan((int)(block - first) * blockSize, blockSize);
            int nonZero = bytes[tail..].IndexOfAnyExcept((byte)0);
            if (nonZero >= 0)
            {
                Add(8, "bytes past end of file are not zero", ino, block, "zeros", Inv($"byte {tail + nonZero} of the block is {bytes[tail + nonZero]}"));
            }
            RowRead();
        }
        items.Clear();
    }
}
