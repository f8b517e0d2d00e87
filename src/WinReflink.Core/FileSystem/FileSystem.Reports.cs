using WinReflink.Core.Cache;
using WinReflink.Core.Check;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    public VolumeStatistics StatFs()
    {
        using (_locks.Shared())
        {
            var s = _state.Settings;
            return new VolumeStatistics(_blockSize, s.CapacityBlocks, _space.AvailableBlocks,
                _inodes.Count, long.MaxValue / 2 - _inodes.Count, NameRules.MaxNameLength, s.SerialNumber, s.Label, s.CaseSensitive);
        }
    }

    public VolumeInfo Info()
    {
        using (_locks.Exclusive())
        {
            var s = _state.Settings;
            long free = (_space.AvailableBlocks) * _blockSize;
            long capacity = s.CapacityBlocks * _blockSize;
            var (shared, saved) = _space.SharingTotals();
            long files = 0, dirs = 0, extents = 0;
            foreach (var i in _inodes.All)
            {
                if (i.IsDirectory)
                {
                    dirs++;
                }
                else
                {
                    files++;
                }
                extents += i.Extents?.Count ?? 0;
            }
            return new VolumeInfo(capacity, capacity - free, free, shared * _blockSize, saved * _blockSize, files, dirs, extents,
                _blockSize, s.CaseSensitive, s.Label, s.SerialNumber, s.FormatVersion);
        }
    }

    public CacheStatistics CacheStatistics()
    {
        using (_locks.Exclusive())
        {
            var stats = _cache.Statistics();
            long recognized = _data.RecognizedBlocks;
            return stats with { RecognizedBlocks = recognized, RecognizedBytes = recognized * _blockSize };
        }
    }

    /// <summary>For tests: checks the cache's content index against the cached windows (ExtentCache.CheckContentIndex); throws when one is broken.</summary>
    internal void CheckContentIndex() => _cache.CheckContentIndex();

    /// <summary>Bytes written to the data file since open (for write-amplification figures).</summary>
    public long DataBytesWritten => _volume.Store.BytesWritten;

    /// <summary>The file's extents in bytes, split where the share count changes.</summary>
    public FsError GetExtents(long ino, out IReadOnlyList<FileExtent> extents)
    {
        extents = Array.Empty<FileExtent>();
        using (_locks.Inode(ino, write: false))
        {
            var e = _inodes.TryGetRegular(ino, out var file);
            if (e != FsError.Ok)
            {
                return e;
            }
            var list = new List<FileExtent>();
            foreach (var ext in file.Extents!.All())
            {
                long done = 0;
                while (done < ext.Length)
                {
                    var (refs, run) = _space.ShareCount(ext.Physical + done, ext.Length - done);
                    list.Add(new FileExtent((ext.Logical + done) * _blockSize, (ext.Physical + done) * _blockSize, run * _blockSize, refs, ext.Unwritten));
                    done += run;
                }
            }
            extents = list;
            return FsError.Ok;
        }
    }

    /// <summary>Verifies every invariant of the design notes on the current state (commit first to check what is on disk).</summary>
    public IReadOnlyList<Violation> Check()
    {
        using (_locks.Exclusive())
        {
            return new VolumeChecker(_state, _blockSize, ReadForCheck).Run();
        }
    }

    private void ReadForCheck(long physicalBlock, Span<byte> block) => _cache.Read(physicalBlock * _blockSize, block, 0, 0);
}
