using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.BadInput;

/// <summary>
/// ENOSPC in the middle of copy-on-write, on the smallest volume (64 blocks of 4 KiB): file a has 32
/// blocks, b is a clone of it (sharing all 32), c fills all but <c>free</c> of the rest. Any call that
/// would need more new blocks than are free fails with NoSpace before changing anything: contents,
/// extents, Info() and statfs stay as they were, Check() stays clean, and so after a remount.
/// </summary>
public class NoSpaceTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const int Bs = 4096;
    private const int Blocks = 64;

    private readonly Dictionary<string, long> _ino = new(StringComparer.Ordinal);
    private byte[] _a = Array.Empty<byte>();

    private FileSystem Setup(int free)
    {
        var fs = FormatAndOpen(Blocks * Bs);
        _a = new byte[32 * Bs];
        new Random(1).NextBytes(_a);
        var c = new byte[(32 - free) * Bs];
        new Random(2).NextBytes(c);
        foreach (string name in new[] { "a", "b", "c" })
        {
            Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
            _ino[name] = attr.Ino;
        }
        Assert.That(fs.Write(_ino["a"], 0, _a, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.CloneRange(_ino["a"], 0, _ino["b"], 0, long.MaxValue, out long cloned), Is.EqualTo(FsError.Ok));
        Assert.That(cloned, Is.EqualTo(_a.Length));
        Assert.That(fs.Write(_ino["c"], 0, c, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(fs.StatFs().FreeBlocks, Is.EqualTo(free));
        return fs;
    }

    private sealed record VolumeSnapshot(Dictionary<string, byte[]> Contents, Dictionary<string, string> Extents, long Used, long Shared, long Saved, long FreeBlocks);

    private VolumeSnapshot Snapshot(FileSystem fs)
    {
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var extents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, ino) in _ino)
        {
            Assert.That(fs.GetAttributes(ino, out var attr), Is.EqualTo(FsError.Ok));
            var bytes = new byte[attr.Size];
            Assert.That(fs.Read(ino, 0, bytes, out int n), Is.EqualTo(FsError.Ok));
            Assert.That(n, Is.EqualTo(bytes.Length));
            contents[name] = bytes;
            Assert.That(fs.GetExtents(ino, out var list), Is.EqualTo(FsError.Ok));
            extents[name] = string.Join(";", list);
        }
        var info = fs.Info();
        return new VolumeSnapshot(contents, extents, info.UsedBytes, info.SharedBytes, info.SavedBytes, fs.StatFs().FreeBlocks);
    }

    private void AssertUnchanged(FileSystem fs, VolumeSnapshot before, bool remounted = false)
    {
        var now = Snapshot(fs);
        foreach (string name in _ino.Keys)
        {
            Assert.That(now.Contents[name].AsSpan().SequenceEqual(before.Contents[name]), Is.True, $"content of {name} changed");
            if (!remounted)
            {
                Assert.That(now.Extents[name], Is.EqualTo(before.Extents[name]), $"extents of {name} changed");
            }
        }
        Assert.That((now.Used, now.Shared, now.Saved, now.FreeBlocks), Is.EqualTo((before.Used, before.Shared, before.Saved, before.FreeBlocks)));
        Assert.That(fs.Check(), Is.Empty);
    }

    /// <summary>Runs the refused call, then checks nothing changed, before and after a remount.</summary>
    private void AssertNoSpaceChangesNothing(int free, Func<FileSystem, FsError> call)
    {
        VolumeSnapshot before;
        using (var fs = Setup(free))
        {
            before = Snapshot(fs);
            Assert.That(call(fs), Is.EqualTo(FsError.NoSpace));
            AssertUnchanged(fs, before);
            Assert.That(fs.Read(_ino["b"], 0, new byte[_a.Length], out _), Is.EqualTo(FsError.Ok));
        }
        using (var fs = Reopen())
        {
            AssertUnchanged(fs, before, remounted: true);
            Assert.That(Snapshot(fs).Contents["b"], Is.EqualTo(_a));
        }
    }

    private static byte[] NewBytes(int length)
    {
        var b = new byte[length];
        new Random(length).NextBytes(b);
        return b;
    }

    [Test]
    public void OverwritingAWholeClonedFile()
    {
        AssertNoSpaceChangesNothing(4, fs => fs.Write(_ino["b"], 0, NewBytes(_a.Length), out _));
    }

    [Test]
    public void OverwritingOneBlockMoreThanIsFree()
    {
        AssertNoSpaceChangesNothing(4, fs => fs.Write(_ino["b"], 8 * Bs, NewBytes(5 * Bs), out _));
    }

    [Test]
    public void UnalignedOverwriteSpanningOneBlockMoreThanIsFree()
    {
        AssertNoSpaceChangesNothing(4, fs => fs.Write(_ino["b"], 100, NewBytes(4 * Bs), out _));
    }

    [Test]
    public void TruncatingAClonedFileInsideASharedBlock()
    {
        AssertNoSpaceChangesNothing(0, fs => fs.SetAttributes(_ino["b"], new SetAttributesRequest(SetAttributeFields.Size, Size: 5000), out _));
    }

    [Test]
    public void PunchingAHoleWithPartialEdgesInAClonedFile()
    {
        AssertNoSpaceChangesNothing(1, fs => fs.Allocate(_ino["b"], 100, 10 * Bs, AllocateMode.PunchHole));
    }

    [Test]
    public void ZeroingARangeOfAClonedFile()
    {
        AssertNoSpaceChangesNothing(1, fs => fs.Allocate(_ino["b"], 4 * Bs, 2 * Bs, AllocateMode.ZeroRangeKeepSize));
    }

    [Test]
    public void WritingIntoAHoleOfAFullVolume()
    {
        AssertNoSpaceChangesNothing(0, fs => fs.Write(_ino["c"], 40 * Bs, NewBytes(10), out _));
    }

    /// <summary>What fits still works: an overwrite of exactly the free blocks succeeds and leaves the clone's source alone.</summary>
    [Test]
    public void OverwritingExactlyTheFreeBlocksWorks()
    {
        using var fs = Setup(4);
        var bytes = NewBytes(4 * Bs);
        Assert.That(fs.Write(_ino["b"], 8 * Bs, bytes, out _), Is.EqualTo(FsError.Ok));
        var now = Snapshot(fs);
        Assert.That(now.Contents["a"], Is.EqualTo(_a));
        Assert.That(now.Contents["b"].AsSpan(8 * Bs, 4 * Bs).SequenceEqual(bytes), Is.True);
        Assert.That(now.FreeBlocks, Is.Zero);
        Assert.That(fs.Check(), Is.Empty);
    }

    /// <summary>Blocks freed in the running transaction stay busy until it commits (invariant 4): until then they do not count as free for copy-on-write.</summary>
    [Test]
    public void BlocksFreedSinceTheLastCommitAreReusedOnlyOnceTheirFreeingIsDurable()
    {
        var fs = Setup(0);
        Assert.That(fs.Unlink(FileSystem.RootIno, "c"), Is.EqualTo(FsError.Ok));
        _ino.Remove("c");
        var bytes = NewBytes(4 * Bs);
        // Only c's freed (busy) blocks can hold this write: the engine commits the unlink first.
        Assert.That(fs.Write(_ino["b"], 0, bytes, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Check(), Is.Empty);
        fs.SimulateCrash();
        using var again = Reopen();
        Assert.That(again.Lookup(FileSystem.RootIno, "c", out _), Is.EqualTo(FsError.NotFound), "the unlink was durable before its blocks were reused");
        Assert.That(Snapshot(again).Contents["a"], Is.EqualTo(_a));
        Assert.That(again.Check(), Is.Empty);
    }
}
