using System.Globalization;
using System.Text.Json.Nodes;
using WinReflink.Bench.Engine;
using WinReflink.Core;

namespace WinReflink.Bench.Scale;

/// <summary>
/// Builds issue 11's large volume through the FileSystem API (through a mount it would take hours):
/// the files of <see cref="ScaleTreeShape"/>; <c>shared-source.dat</c>, whose every other block is
/// cloned into one of K files spread evenly over the tree (at offset one block, after the file's own
/// data), so that the refcount table holds K separate shared ranges; and <c>many-extents.dat</c>, a
/// file of E one-block extents written interleaved with <c>many-extents.companion</c> so that the
/// allocator cannot merge them, for the clone row. Copy recognition is off while building (no two
/// files are alike anyway) and the group-commit timer too: the builder commits every
/// <see cref="FilesPerCommit"/> files, so no commit grows with the volume.
/// </summary>
internal static class ScaleVolumeBuilder
{
    private const int FilesPerCommit = 20_000;
    private const int BlockSize = FormatOptions.DefaultBlockSize;
    private const uint FileMode = 0x81A4;   // regular, 0644
    private const uint DirectoryMode = 0x41ED;   // directory, 0755

    public static JsonObject Build(string volume, long files, long sharedExtents, long manyExtents)
    {
        var shape = new ScaleTreeShape(files);
        // Every file's block, the shared source (two blocks per shared range), the many-extents file
        // and its companion, then room for the benchmark's own writes; data.img is sparse.
        long capacity = (files + 2 * sharedExtents + 2 * manyExtents) * BlockSize + (4L << 30);
        FileSystem.Format(volume, new FormatOptions { SizeBytes = capacity });
        var progress = new BuildProgress("volume " + volume, files);
        JsonObject summary;
        using (var fs = FileSystem.Open(volume, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 256L << 20,
            CopyRecognition = false,
        }))
        {
            long source = sharedExtents > 0 ? WriteSharedSource(fs, sharedExtents) : 0;
            if (manyExtents > 0)
            {
                progress.Note($"writing many-extents.dat, {manyExtents:N0} extents");
                WriteManyExtents(fs, manyExtents);
            }
            // File i receives a shared block when i is a multiple of the stride: K files spread over the tree.
            long stride = sharedExtents > 0 ? Math.Max(1, files / sharedExtents) : long.MaxValue;
            var data = new byte[BlockSize];
            long directory = FileSystem.RootIno;
            long shared = 0;
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
                if (i % stride == 0 && shared < sharedExtents)
                {
                    EngineCall.Check(fs.CloneRange(source, 2 * shared * BlockSize, file.Ino, BlockSize, BlockSize, out long cloned), "clone");
                    if (cloned != BlockSize)
                    {
                        throw new InvalidOperationException($"clone into {ScaleTreeShape.FileName(i)} shared {cloned} bytes, not one block");
                    }
                    shared++;
                }
                if (i % FilesPerCommit == FilesPerCommit - 1)
                {
                    EngineCall.Check(fs.Sync(), "sync");
                }
                progress.Done(i + 1);
            }
            EngineCall.Check(fs.Sync(), "sync");
            var info = fs.Info();
            double seconds = progress.Elapsed.TotalSeconds;
            progress.Note(string.Create(CultureInfo.InvariantCulture, $"{files:N0} files in {seconds:N1} s, {files / seconds:N0} files/s"));
            summary = new JsonObject
            {
                ["volume"] = Path.GetFullPath(volume),
                ["files"] = files,
                ["directories"] = shape.Directories,
                ["big_directory_files"] = shape.BigFiles,
                ["shared_extents"] = shared,
                ["shared_bytes"] = info.SharedBytes,
                ["many_extents"] = manyExtents,
                ["volume_extents"] = info.Extents,
                ["build_s"] = Math.Round(seconds, 2),
                ["files_per_s"] = Math.Round(files / seconds),
            };
        }
        // After the close, which checkpoints the WAL into meta.db.
        summary["meta_db_bytes"] = new FileInfo(Path.Combine(volume, "meta.db")).Length;
        return summary;
    }

    /// <summary>shared-source.dat: 2K blocks in one extent; its even blocks are cloned, so no two shared ranges touch.</summary>
    private static long WriteSharedSource(FileSystem fs, long sharedExtents)
    {
        EngineCall.Check(fs.Create(FileSystem.RootIno, "shared-source.dat", new CreateRequest(FileMode, 0, 0), out var source), "create");
        new SequentialIo(1 << 20, seed: 11).Write(fs, source.Ino, 2 * sharedExtents * BlockSize);
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
