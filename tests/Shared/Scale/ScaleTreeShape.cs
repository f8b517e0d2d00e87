using System.Globalization;
using WinReflink.Core;

namespace WinReflink.Tests.Scale;

/// <summary>
/// The tree of issue 11's large volume, the same on our volume and on the host filesystem it is
/// compared with: N files named f0000000.dat... spread over directories of at most
/// <see cref="DirectoryEntries"/> entries under the root (d0000, d0001...), and, when N is at least
/// <see cref="BigDirectoryThreshold"/>, the first <see cref="BigDirectoryEntries"/> files in one
/// directory of their own (big). File i holds <see cref="FileBytes"/>(i) bytes: one partial block,
/// as most files of a source tree. On a volume, K files spread evenly over the tree also hold, at
/// offset one block, a block cloned from <see cref="SharedSource"/> (<see cref="SharedRangeOf"/>).
/// Everything here is a function of N and K, so the builders, the benchmark and the tests agree.
/// </summary>
internal sealed class ScaleTreeShape
{
    public const int DirectoryEntries = 10_000;
    public const int BigDirectoryEntries = 100_000;
    public const long BigDirectoryThreshold = 200_000;
    public const string BigDirectory = "big";
    /// <summary>The root file whose even blocks are cloned into the K files (block 2k into the k-th).</summary>
    public const string SharedSource = "shared-source.dat";
    public const int BlockSize = FormatOptions.DefaultBlockSize;

    private readonly long _sharedStride;

    /// <param name="files">N, at least 1.</param>
    /// <param name="sharedExtents">K, from 0 to N.</param>
    public ScaleTreeShape(long files, long sharedExtents = 0)
    {
        if (files < 1 || sharedExtents < 0 || sharedExtents > files)
        {
            throw new ArgumentOutOfRangeException(nameof(sharedExtents), $"a tree needs 1 or more files and 0 to {files} shared ranges, not {files} and {sharedExtents}");
        }
        Files = files;
        SharedExtents = sharedExtents;
        BigFiles = files >= BigDirectoryThreshold ? BigDirectoryEntries : 0;
        // K * stride <= N, so every one of the K ranges lands in a file.
        _sharedStride = sharedExtents > 0 ? Math.Max(1, files / sharedExtents) : long.MaxValue;
    }

    public long Files { get; }
    public long SharedExtents { get; }
    /// <summary>How many files the big directory holds (0: none, the volume is too small for it).</summary>
    public long BigFiles { get; }
    public long Directories => (BigFiles > 0 ? 1 : 0) + (Files - BigFiles + DirectoryEntries - 1) / DirectoryEntries;

    /// <summary>The directory (one level under the root) of file <paramref name="i"/>.</summary>
    public string DirectoryOf(long i) => i < BigFiles
        ? BigDirectory
        : "d" + ((i - BigFiles) / DirectoryEntries).ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>Whether file <paramref name="i"/> is the first of its directory (the builders make the directory then).</summary>
    public bool StartsDirectory(long i) => i == 0 || i == BigFiles || (i > BigFiles && (i - BigFiles) % DirectoryEntries == 0);

    /// <summary>File <paramref name="i"/>'s path under the tree's top, with '/' separators.</summary>
    public string RelativePath(long i) => DirectoryOf(i) + "/" + FileName(i);

    /// <summary>The shared range k that file <paramref name="i"/> holds at offset one block (source block 2k), or -1.</summary>
    public long SharedRangeOf(long i) => i % _sharedStride == 0 && i / _sharedStride < SharedExtents ? i / _sharedStride : -1;

    /// <summary>The file that holds shared range <paramref name="range"/> (0 to K - 1).</summary>
    public long HolderOfSharedRange(long range) => range * _sharedStride;

    /// <summary>File <paramref name="i"/>'s size on a volume: two blocks when it holds a shared range (a hole between), else its bytes.</summary>
    public long VolumeFileSize(long i) => SharedRangeOf(i) >= 0 ? 2L * BlockSize : FileBytes(i);

    public static string FileName(long i) => "f" + i.ToString("D7", CultureInfo.InvariantCulture) + ".dat";

    /// <summary>64 to 4,096 bytes, spread evenly (mean about 2 KiB): a small file in one block.</summary>
    public static int FileBytes(long i) => 64 + (int)(i * 7919 % 4033);

    /// <summary>Fills <paramref name="buffer"/> with file <paramref name="i"/>'s bytes: its number first, so no two files are alike.</summary>
    public static void FillContent(long i, Span<byte> buffer)
    {
        buffer.Fill((byte)('a' + i % 26));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(buffer, i);
    }

    /// <summary>A new array of file <paramref name="i"/>'s <see cref="FileBytes"/> bytes, as <see cref="FillContent"/> fills them.</summary>
    public static byte[] Content(long i)
    {
        var content = new byte[FileBytes(i)];
        FillContent(i, content);
        return content;
    }

    /// <summary>Fills one block with block <paramref name="block"/> of <see cref="SharedSource"/>: its number first, so no two blocks are alike.</summary>
    public static void FillSharedSourceBlock(long block, Span<byte> buffer)
    {
        buffer.Fill((byte)('A' + block % 26));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(buffer, ~block);
    }

    /// <summary>
    /// File <paramref name="i"/>'s whole content on a volume (<see cref="VolumeFileSize"/> bytes): its
    /// own bytes, then, when it holds shared range k, zeros to the end of the first block and source block 2k.
    /// </summary>
    public byte[] VolumeContent(long i)
    {
        var content = new byte[VolumeFileSize(i)];
        FillContent(i, content.AsSpan(0, FileBytes(i)));
        long range = SharedRangeOf(i);
        if (range >= 0)
        {
            FillSharedSourceBlock(2 * range, content.AsSpan(BlockSize, BlockSize));
        }
        return content;
    }
}
