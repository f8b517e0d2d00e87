using System.Globalization;

namespace WinReflink.Bench.Scale;

/// <summary>
/// The tree of issue 11's scale benchmark, the same on our volume and on the host filesystem it is
/// compared with: N files named f0000000.dat... spread over directories of at most
/// <see cref="DirectoryEntries"/> entries under the root (d0000, d0001...), and, when N is at least
/// <see cref="BigDirectoryThreshold"/>, the first <see cref="BigDirectoryEntries"/> files in one
/// directory of their own (big). File i holds <see cref="FileBytes"/>(i) bytes: one partial block,
/// as most files of a source tree. Everything here is a function of N, so two builders agree.
/// </summary>
internal sealed class ScaleTreeShape
{
    public const int DirectoryEntries = 10_000;
    public const int BigDirectoryEntries = 100_000;
    public const long BigDirectoryThreshold = 200_000;
    public const string BigDirectory = "big";

    public ScaleTreeShape(long files)
    {
        Files = files;
        BigFiles = files >= BigDirectoryThreshold ? BigDirectoryEntries : 0;
    }

    public long Files { get; }
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

    public static string FileName(long i) => "f" + i.ToString("D7", CultureInfo.InvariantCulture) + ".dat";

    /// <summary>64 to 4,096 bytes, spread evenly (mean about 2 KiB): a small file in one block.</summary>
    public static int FileBytes(long i) => 64 + (int)(i * 7919 % 4033);

    /// <summary>Fills <paramref name="buffer"/> with file <paramref name="i"/>'s bytes: its number first, so no two files are alike.</summary>
    public static void FillContent(long i, Span<byte> buffer)
    {
        buffer.Fill((byte)('a' + i % 26));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(buffer, i);
    }
}
