using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>
/// Extent maps read from meta.db at their first data access, not with their inodes (issue 11): getattr
/// answers st_blocks from the inode row (format version 6) without the map, and the count stays exact
/// through every change of a map while a budget of one byte drops every clean inode (and map) at each step.
/// </summary>
public sealed class ExtentMapOnDemandTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;
    private const int Block = 4096;

    private static byte[] Bytes(int blocks, int seed)
    {
        var data = new byte[blocks * Block];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static void Write(FileSystem fs, long ino, long block, byte[] data) =>
        Assert.That(fs.Write(ino, block * Block, data, out _), Is.EqualTo(FsError.Ok));

    private static long AllocatedBytes(FileSystem fs, long ino)
    {
        Assert.That(fs.GetAttributes(ino, out var a), Is.EqualTo(FsError.Ok));
        return a.AllocatedBytes;
    }

    /// <summary>The blocks the file maps, counted over its extents (this loads its map).</summary>
    private static long MappedBytes(FileSystem fs, long ino)
    {
        Assert.That(fs.GetExtents(ino, out var extents), Is.EqualTo(FsError.Ok));
        return extents.Sum(e => e.Length);
    }

    [Test]
    public void StatOfAStoredFileDoesNotLoadItsMapAndAReadDoes()
    {
        var fs = FormatAndOpen();
        long file = NewFile(fs, Root, "f");
        for (int i = 0; i < 20; i++)
        {
            // Every other block: 20 extents.
            Write(fs, file, 2 * i, Bytes(1, i));
        }
        fs = CheckedReopen(fs);
        fs.Dispose();
        using var cold = OpenWithTinyBudget();
        Assert.That(cold.Lookup(Root, "f", out var found), Is.EqualTo(FsError.Ok));
        Assert.That(found.AllocatedBytes, Is.EqualTo(20L * Block), "st_blocks from the inode row");
        Assert.That(AllocatedBytes(cold, file), Is.EqualTo(20L * Block));
        Assert.That(List(cold, Root).Select(e => e.Name), Does.Contain("f"));
        Assert.That(cold.ExtentMapLoads, Is.Zero, "lookup, getattr and a listing read no extent row");
        Assert.That(cold.IsExtentMapLoaded(file), Is.False);

        // Open, as a reader holds it: the budget's scans (one byte) would drop a closed one at once.
        Assert.That(cold.OpenInode(file), Is.EqualTo(FsError.Ok));
        var buffer = new byte[Block];
        Assert.That(cold.Read(file, 2 * Block, buffer, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(Block));
        Assert.That(buffer, Is.EqualTo(Bytes(1, 1)), "the read finds the map loaded at its first use");
        Assert.That(cold.ExtentMapLoads, Is.EqualTo(1), "one range query");
        Assert.That(cold.IsExtentMapLoaded(file), Is.True);
        Assert.That(cold.Read(file, 3 * Block, buffer, out n), Is.EqualTo(FsError.Ok));
        Assert.That(buffer, Is.EqualTo(new byte[Block]), "a hole reads zeros");
        Assert.That(cold.ExtentMapLoads, Is.EqualTo(1), "a loaded map is not read again");
        cold.EvictMetadata();
        Assert.That(cold.IsExtentMapLoaded(file), Is.True, "an open file keeps its map");
        Assert.That(cold.Release(file), Is.EqualTo(FsError.Ok));
    }

    /// <summary>A committed volume with /f of <paramref name="blocks"/> written blocks, opened again with the tiny budget.</summary>
    private (FileSystem Cold, long File) StoredFile(int blocks)
    {
        var fs = FormatAndOpen();
        long file = NewFile(fs, Root, "f");
        Write(fs, file, 0, Bytes(blocks, 1));
        CheckedReopen(fs).Dispose();
        return (OpenWithTinyBudget(), file);
    }

    /// <summary>A map changed since the last commit stays with its inode; once committed, the inode leaves whole and its map is read again at its next use.</summary>
    [Test]
    public void AMapChangedSinceTheLastCommitStaysAndACleanOneIsReadAgain()
    {
        var (cold, file) = StoredFile(4);
        using var open = cold;
        Assert.That(cold.Lookup(Root, "f", out _), Is.EqualTo(FsError.Ok));
        Write(cold, file, 8, Bytes(2, 2));
        cold.EvictMetadata();
        Assert.That(cold.IsExtentMapLoaded(file), Is.True, "changed since the last commit: it stays");
        Assert.That(AllocatedBytes(cold, file), Is.EqualTo(6L * Block));
        Assert.That(cold.Sync(), Is.EqualTo(FsError.Ok));
        cold.EvictMetadata();
        Assert.That(cold.IsResident(file), Is.False, "clean and unheld: dropped whole");
        Assert.That(AllocatedBytes(cold, file), Is.EqualTo(6L * Block), "the commit stored the count");
        long loads = cold.ExtentMapLoads;
        Assert.That(MappedBytes(cold, file), Is.EqualTo(6L * Block));
        Assert.That(cold.ExtentMapLoads, Is.EqualTo(loads + 1));
        Assert.That(cold.Check(), Is.Empty);
    }

    /// <summary>
    /// An unlinked file the host still holds by reference stays resident (its last FORGET destroys it),
    /// but once its unlink is committed its clean map leaves memory, and comes back for a read and for
    /// the destruction, which frees every block.
    /// </summary>
    [Test]
    public void AHeldOrphanLetsGoOfItsCleanMap()
    {
        var (cold, file) = StoredFile(6);
        using var open = cold;
        Assert.That(cold.Reference(file, out _), Is.EqualTo(FsError.Ok));
        Assert.That(MappedBytes(cold, file), Is.EqualTo(6L * Block));
        Assert.That(cold.Unlink(Root, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(cold.Sync(), Is.EqualTo(FsError.Ok));
        cold.EvictMetadata();
        Assert.That(cold.IsResident(file), Is.True, "held by the host with no name: kept");
        Assert.That(cold.IsExtentMapLoaded(file), Is.False, "its map, clean, dropped");
        Assert.That(AllocatedBytes(cold, file), Is.EqualTo(6L * Block));
        Assert.That(ReadBack(cold, file, 1, 2), Is.EqualTo(Bytes(6, 1).AsSpan(Block, 2 * Block).ToArray()));
        cold.EvictMetadata();
        long free = cold.StatFs().FreeBlocks;
        cold.Unreference(file, 1);
        Assert.That(cold.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(cold.StatFs().FreeBlocks, Is.EqualTo(free + 6), "the destruction read the map and freed its blocks");
        Assert.That(cold.Check(), Is.Empty);
    }

    /// <summary>
    /// st_blocks after each kind of change of a map (write, overwrite of shared blocks, clone, punch,
    /// fallocate past the end, zero range, truncate, a copy recognized), committed or not, with every
    /// clean inode dropped before getattr: always what the extents add up to, and what the change should give.
    /// </summary>
    [Test]
    public void StBlocksStaysExactThroughEveryChangeWithEvictionAtEveryStep()
    {
        var fs = FormatAndOpen();
        long a = NewFile(fs, Root, "a"), b = NewFile(fs, Root, "b"), c = NewFile(fs, Root, "c");
        fs = CheckedReopen(fs);
        fs.Dispose();
        using var cold = OpenWithTinyBudget();
        var steps = new (string What, Func<FileSystem, FsError> Change, long A, long B, long C)[]
        {
            ("write 10 blocks", f => f.Write(a, 0, Bytes(10, 1), out _), 10, 0, 0),
            ("overwrite 2 in place", f => f.Write(a, 3 * Block, Bytes(2, 2), out _), 10, 0, 0),
            ("clone a to b", f => f.CloneRange(a, 0, b, 0, 10 * Block, out _), 10, 10, 0),
            ("overwrite shared blocks of b (copy-on-write)", f => f.Write(b, 4 * Block, Bytes(3, 3), out _), 10, 10, 0),
            ("punch blocks 2..4 of a", f => f.Allocate(a, 2 * Block, 3 * Block, AllocateMode.PunchHole), 7, 10, 0),
            ("fallocate 4 blocks past the end of a", f => f.Allocate(a, 10 * Block, 4 * Block, AllocateMode.KeepSize), 11, 10, 0),
            ("zero range over a hole and data of a", f => f.Allocate(a, 1 * Block, 3 * Block, AllocateMode.ZeroRange), 13, 10, 0),
            ("truncate b to 3.5 blocks", f => f.SetAttributes(b, new SetAttributesRequest(SetAttributeFields.Size, Size: 3 * Block + 100), out _), 13, 4, 0),
            ("clone part of b into a hole of c", f => f.CloneRange(b, 0, c, 20 * Block, 2 * Block, out _), 13, 4, 2),
            ("write a copy of a's cached blocks into c (recognized)", f => f.Write(c, 0, ReadBack(f, a, 5, 3), out _), 13, 4, 5),
            ("extend c by writing past a hole", f => f.Write(c, 40 * Block, Bytes(1, 4), out _), 13, 4, 6),
            ("truncate a to zero", f => f.SetAttributes(a, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), 0, 4, 6),
        };
        for (int i = 0; i < steps.Length; i++)
        {
            var (what, change, ea, eb, ec) = steps[i];
            Assert.That(change(cold), Is.EqualTo(FsError.Ok), what);
            if (i % 2 == 1)
            {
                Assert.That(cold.Sync(), Is.EqualTo(FsError.Ok));
            }
            cold.EvictMetadata();
            long loads = cold.ExtentMapLoads;
            foreach (var (ino, blocks, name) in new[] { (a, ea, "a"), (b, eb, "b"), (c, ec, "c") })
            {
                Assert.That(AllocatedBytes(cold, ino), Is.EqualTo(blocks * Block), $"st_blocks of {name} after: {what}");
            }
            Assert.That(cold.ExtentMapLoads, Is.EqualTo(loads), $"getattr loads no map after: {what}");
            foreach (var (ino, blocks, name) in new[] { (a, ea, "a"), (b, eb, "b"), (c, ec, "c") })
            {
                Assert.That(MappedBytes(cold, ino), Is.EqualTo(blocks * Block), $"the extents of {name} after: {what}");
            }
            Assert.That(cold.Check(), Is.Empty, $"after: {what}");
        }
        Assert.That(cold.ExtentMapLoads, Is.GreaterThan(steps.Length), "maps left memory and were read again");
        cold.Dispose();
        using var reopened = Reopen();
        Assert.That((AllocatedBytes(reopened, a), AllocatedBytes(reopened, b), AllocatedBytes(reopened, c)), Is.EqualTo((0L, 4L * Block, 6L * Block)));
        Assert.That(reopened.Check(), Is.Empty);
    }

    private static byte[] ReadBack(FileSystem fs, long ino, long block, int blocks)
    {
        var buffer = new byte[blocks * Block];
        Assert.That(fs.Read(ino, block * Block, buffer, out int n), Is.EqualTo(FsError.Ok));
        Assert.That(n, Is.EqualTo(buffer.Length));
        return buffer;
    }
}
