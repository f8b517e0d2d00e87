using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Data;

internal sealed partial class DataPath
{
    /// <summary>SEEK_DATA / SEEK_HOLE within a regular file. Unwritten blocks count as holes, as on ext4 and XFS; past EOF is NoData (ENXIO, as iomap_seek_data).</summary>
    public FsError Seek(Inode file, long offset, SeekWhence whence, out long result)
    {
        result = 0;
        if (offset >= file.Size)
        {
            return FsError.NoData;
        }
        long endBlock = (file.Size + _blockSize - 1) / _blockSize;
        long b = offset / _blockSize;
        while (b < endBlock)
        {
            bool found = file.Extents!.TryFind(b, endBlock - b, out var ext, out long hole);
            bool data = found && !ext.Unwritten;
            long run = found ? Math.Min(endBlock - b, ext.LogicalEnd - b) : hole;
            if (data == (whence == SeekWhence.Data))
            {
                result = Math.Max(offset, b * _blockSize);
                if (whence == SeekWhence.Hole)
                {
                    result = Math.Min(result, file.Size);
                }
                return FsError.Ok;
            }
            b += run;
        }
        if (whence == SeekWhence.Hole)
        {
            result = file.Size;
            return FsError.Ok;
        }
        return FsError.NoData;
    }
}
