using System.Globalization;
using WinReflink.Core;
using WinReflink.Tests.Engine;

namespace WinReflink.Tests.Scale;

/// <summary>
/// Builds issue 11's large volume through the FileSystem API (through a mount it would take hours),
/// for tools/bench/scale and the FUSE scale tests alike: the files of <see cref="ScaleTreeShape"/>;
/// <see cref="ScaleTreeShape.SharedSource"/>, whose every other block is cloned into one of the
/// shape's K files (at offset one block, after the file's own data), so that the refcount table
/// holds K separate shared ranges; and <c>many-extents.dat</c>, a file of E one-block extents
/// written interleaved with <c>many-extents.companion</c> so that the allocator cannot merge them,
/// for the benchmark's clone row. Copy recognition is off while building (no two files are alike
/// anyway) and the group-commit timer too: the builder commits every <see cref="FilesPerCommit"/>
/// files, so no commit grows with the volume.
/// </summary>
internal static class ScaleVolumeBuilder
{
    private const int FilesPerCommit = 20_000;
    private const int BlockSize = ScaleTreeShape.BlockSize;
    private const uint FileMode = 0x81A4;   // regular, 0644
    private const uint DirectoryMode = 0x41ED;   // directory, 0755

    /// <summary>
    /// Formats <paramref name="volume"/> (which must not exist) and fills it. <paramref name="addMore"/>,
    /// when given, adds its own entries in the same session after the tree and before the last commit
    /// (reopening a big volume to add them would cost more than the whole build). On return the
    /// volume is closed and everything is committed.
    /// </summary>
    public static ScaleVolumeSummary Build(string volume, ScaleTreeShape shape, long manyExtents, TextWriter log, Action<FileSystem>? addMore = null)
    {
        long files = shape.Files;
        // Every file's block, the shared source (two blocks per shared range), the many-extents file
        // and its companion, then room for the benchmark's own writes; data.img is sparse.
        long capacity = (files + 2 * shape.SharedExtents + 2 * manyExtents) * BlockSize + (4L << 30);
        FileSystem.Format(volume, new FormatOptions { SizeBytes = capacity });
        var progress = new BuildProgress("volume " + volume, files, log);
        long sharedBytes;
        long volumeExtents;
        using (var fs = FileSystem.Open(volume, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 256L << 20,
            CopyRecognition = false,
        }))
        {
            long source = shape.SharedExtents > 0 ? WriteSharedSource(fs, shape.SharedExtents) : 0;
            if (manyExtents > 0)
            {
                progress.Note($"writing many-extents.dat, {manyExtents:N0} extents");
                WriteManyExtents(fs, manyExtents);
            }
            var data = new byte[BlockSize];
            long directory = FileSystem.RootIno;
            for (long i = 0; i < files; i++)
            {
                if (shape.StartsDirectory(i))
                {
                    EngineCall.Check(fs.Mkdir(FileSystem.RootIno, shape.DirectoryOf(i), new CreateRequest(DirectoryMode, 0, 0), out var made), "mkdir");
                    directory = made.Ino;
                }
                EngineCall.Check(fs.Create(directory, ScaleTreeShape.FileName(i), new CreateRequest(FileMode, 0, 0), out var file), "create");
                var content = data.AsSpan(0, ScaleTreeShape.FileBytes(i));
                ScaleTreeShape.FillContent(i, content);
                EngineCall.Check(fs.Write(file.Ino, 0, content, out _), "write");
                long range = shape.SharedRangeOf(i);
                if (range >= 0)
                {
                    EngineCall.Check(fs.CloneRange(source, 2 * range * BlockSize, file.Ino, BlockSize, BlockSize, out long cloned), "clone");
                    if (cloned != BlockSize)
                    {
                        throw new InvalidOperationException($"clone into {ScaleTreeShape.FileName(i)} shared {cloned} bytes, not one block");
                    }
                }
                if (i % FilesPerCommit == FilesPerCommit - 1)
                {
                    EngineCall.Check(fs.Sync(), "sync");
                }
                progress.Done(i + 1);
            }
            addMore?.Invoke(fs);
            EngineCall.Check(fs.Sync(), "sync");
            var info = fs.Info();
            sharedBytes = info.SharedBytes;
            volumeExtents = info.Extents;
        }
        var elapsed = progress.Elapsed;
        progress.Note(string.Create(CultureInfo.InvariantCulture, $"{files:N0} files in {elapsed.TotalSeconds:N1} s, {files / elapsed.TotalSeconds:N0} files/s"));
        return new ScaleVolumeSummary(Path.GetFullPath(volume), shape, manyExtents, sharedBytes, volumeExtents, elapsed,
            new FileInfo(Path.Combine(volume, "meta.db")).Length);
    }

    /// <summary>The shared source: 2K blocks in one extent; its even blocks are cloned, so no two shared ranges touch.</summary>
    private static long WriteSharedSource(FileSystem fs, long sharedExtents)
    {
        EngineCall.Check(fs.Create(FileSystem.RootIno, ScaleTreeShape.SharedSource, new CreateRequest(FileMode, 0, 0), out var source), "create");
        const int BlocksPerWrite = 256;
        var chunk = new byte[BlocksPerWrite * BlockSize];
        for (long first = 0; first < 2 * sharedExtents; first += BlocksPerWrite)
        {
            int blocks = (int)Math.Min(BlocksPerWrite, 2 * sharedExtents - first);
            for (int b = 0; b < blocks; b++)
            {
                ScaleTreeShape.FillSharedSourceBlock(first + b, chunk.AsSpan(b * BlockSize, BlockSize));
            }
            EngineCall.Check(fs.Write(source.Ino, first * BlockSize, chunk.AsSpan(0, blocks * BlockSize), out int written), "write");
            if (written != blocks * BlockSize)
            {
                throw new InvalidOperationException($"short write to {ScaleTreeShape.SharedSource} at block {first}: {written} bytes");
            }
        }
        EngineCall.Check(fs.Sync(), "sync");
        return source.Ino;
    }

    /// <summary>many-extents.dat: one block at a time, alternating with its companion, so each block is an extent of its own.</summary>
    private static void WriteManyExtents(FileSystem fs, long extents)
    {
        EngineCall.Check(fs.Create(FileSystem.RootIno, "many-extents.dat", new CreateRequest(FileMode, 0, 0), out var file), "create");
        EngineCall.Check(fs.Create(FileSystem.RootIno, "many-extents.companion", new CreateRequest(FileMode, 0, 0), out var companion), "create");
        var block = new byte[BlockSize];
        for (long e = 0; e < extents; e++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(block, e);
            EngineCall.Check(fs.Write(file.Ino, e * BlockSize, block, out _), "write");
            EngineCall.Check(fs.Write(companion.Ino, e * BlockSize, block, out _), "write");
            if (e % (4 * FilesPerCommit) == 4 * FilesPerCommit - 1)
            {
                EngineCall.Check(fs.Sync(), "sync");
            }
        }
        EngineCall.Check(fs.Sync(), "sync");
    }
}
