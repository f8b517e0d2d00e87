using System.IO.MemoryMappedFiles;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Mmap;

/// <summary>
/// MAP_SHARED mappings (what MemoryMappedFile.CreateFromFile makes on Linux) of a clone, with file data
/// opened FOPEN_DIRECT_IO and FUSE_DIRECT_IO_ALLOW_MMAP negotiated: stores through the mapping reach the
/// clone by copy-on-write and never its source.
/// </summary>
public sealed class MmapCloneTests : MountedTest
{
    private const long Size = 8L << 20;

    [Test]
    public void WritesThroughAMappingOfTheCloneReachTheCloneOnly()
    {
        var (pattern, src, clone) = MakeClone();
        var writes = new (long Offset, byte[] Data)[]
        {
            (0, Bytes(100, 0x11)),                    // start of the first page
            ((3L << 20) + 4000, Bytes(200, 0x22)),    // across a page boundary
            (Size - 50, Bytes(50, 0x33)),             // the last bytes of the file
        };
        using (var map = MemoryMappedFile.CreateFromFile(clone, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite))
        {
            var first = new byte[4096];
            view.ReadArray(1L << 20, first, 0, first.Length);
            var expected = new byte[PatternFile.ChunkBytes];
            pattern.Fill(expected, 1L << 20);
            Assert.That(first, Is.EqualTo(expected[..4096]), "reads through the mapping of the clone see the source's data");
            foreach (var (offset, data) in writes)
            {
                view.WriteArray(offset, data, 0, data.Length);
            }
            view.Flush();
        }
        pattern.AssertContent(clone, Size, "the clone read with read(2) after msync", writes);
        pattern.AssertContent(src, Size, "the source");
        Assert.That(Info().SharedBytes, Is.EqualTo(Size - 4 * 4096), "the four written pages were copied on write, the rest stays shared");
    }

    [Test]
    public void SourceMappedAtTheSameTimeDoesNotSeeTheClonesStores()
    {
        var (pattern, src, clone) = MakeClone();
        var data = Bytes(4096, 0x5a);
        using (var sourceMap = MemoryMappedFile.CreateFromFile(src, FileMode.Open, null, 0, MemoryMappedFileAccess.Read))
        using (var sourceView = sourceMap.CreateViewAccessor(0, Size, MemoryMappedFileAccess.Read))
        {
            using (var cloneMap = MemoryMappedFile.CreateFromFile(clone, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
            using (var cloneView = cloneMap.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite))
            {
                cloneView.WriteArray(1L << 20, data, 0, data.Length);
                cloneView.Flush();
            }
            var seen = new byte[4096];
            sourceView.ReadArray(1L << 20, seen, 0, seen.Length);
            var expected = new byte[PatternFile.ChunkBytes];
            pattern.Fill(expected, 1L << 20);
            Assert.That(seen, Is.EqualTo(expected[..4096]), "the source's mapping still shows the source's bytes");
        }
        pattern.AssertContent(clone, Size, "the clone", (1L << 20, data));
        pattern.AssertContent(src, Size, "the source");
    }

    [Test]
    public void StoresToTheSourceMappingLeaveTheCloneIntact()
    {
        var (pattern, src, clone) = MakeClone();
        var data = Bytes(8192, 0x77);
        using (var map = MemoryMappedFile.CreateFromFile(src, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite))
        {
            view.WriteArray(5L << 20, data, 0, data.Length);
            view.Flush();
        }
        pattern.AssertContent(src, Size, "the source", (5L << 20, data));
        pattern.AssertContent(clone, Size, "the clone");
    }

    [Test]
    public void MappedStoresSurviveARemount()
    {
        var (pattern, _, clone) = MakeClone();
        var data = Bytes(300, 0x42);
        using (var map = MemoryMappedFile.CreateFromFile(clone, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite))
        {
            view.WriteArray(7L << 20, data, 0, data.Length);
        }
        // No msync: unmapping leaves dirty pages that the unmount must still write back.
        Remount();
        pattern.AssertContent(clone, Size, "the clone after a remount", (7L << 20, data));
    }

    private (PatternFile Pattern, string Source, string Clone) MakeClone()
    {
        var pattern = new PatternFile(seed: 3);
        string src = P("source"), clone = P("clone");
        pattern.Write(src, Size);
        File.Copy(src, clone);
        Assert.That(Info().SharedBytes, Is.EqualTo(Size), "File.Copy made a reflink");
        return (pattern, src, clone);
    }

    private static byte[] Bytes(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }
}
