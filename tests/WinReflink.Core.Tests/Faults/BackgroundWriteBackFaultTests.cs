using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// A data-file write that fails on the background writer's thread, where no engine call is waiting
/// for it: the volume still stops, fsync of the file whose data was lost answers EIO, and reopening
/// returns the volume to its last commit.
/// </summary>
public class BackgroundWriteBackFaultTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    [Test]
    public void AFailedBackgroundWriteFailsTheFsyncOfTheFileItHeld()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var kept = new byte[20_000];
        new Random(1).NextBytes(kept);
        using (var setup = Reopen())
        {
            Assert.That(setup.Create(FileSystem.RootIno, "kept", new CreateRequest(RegularFile, 0, 0), out var k), Is.EqualTo(FsError.Ok));
            Assert.That(setup.Write(k.Ino, 0, kept, out _), Is.EqualTo(FsError.Ok));
        }
        FaultyBlockStore? store = null;
        using (var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 16L << 20,
            DirtyLimitBytes = 1L << 20,
            BlockStoreFactory = s => store = new FaultyBlockStore(new VolumeLayout(Folder).DataImage, s.BlockSize, s.CapacityBlocks) { Site = FaultSite.Write, FailAt = 1 },
        }))
        {
            Assert.That(fs.Create(FileSystem.RootIno, "big", new CreateRequest(RegularFile, 0, 0), out var big), Is.EqualTo(FsError.Ok));
            var chunk = new byte[256 << 10];
            var answers = new List<FsError>();
            for (int i = 0; i < 16; i++)
            {
                answers.Add(fs.Write(big.Ino, (long)i * chunk.Length, chunk, out _));
            }
            Assert.That(store!.Fired, Is.True, "4 MiB through a 1 MiB dirty limit reached the store");
            Assert.That(answers, Has.Some.EqualTo(FsError.Io).Or.All.EqualTo(FsError.Ok), "a write that met the failure answered EIO");
            Assert.That(fs.Fsync(big.Ino), Is.EqualTo(FsError.Io), "big's data never reached the disk");
            Assert.That(fs.Failure, Does.Contain("injected at write #1"));
            Assert.That(fs.IsReadOnly, Is.True);
        }
        using var again = Reopen();
        Assert.That(again.Lookup(FileSystem.RootIno, "big", out _), Is.EqualTo(FsError.NotFound), "big was never committed");
        Assert.That(again.Lookup(FileSystem.RootIno, "kept", out var keptAttr), Is.EqualTo(FsError.Ok));
        var read = new byte[kept.Length];
        Assert.That(again.Read(keptAttr.Ino, 0, read, out _), Is.EqualTo(FsError.Ok));
        Assert.That(read, Is.EqualTo(kept));
        Assert.That(again.Check(), Is.Empty);
    }
}
