using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// A failed read of clean data loses nothing: it answers EIO to that read only (logged with the inode
/// and block) and the volume carries on. A write-back that fails while a read evicts a dirty window
/// loses data, so that still stops the volume.
/// </summary>
public class ReadErrorTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private long WriteCommittedFile(string name, int length, int seed, out byte[] content)
    {
        content = new byte[length];
        new Random(seed).NextBytes(content);
        using var fs = FormatOrReopen();
        Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Write(attr.Ino, 0, content, out _), Is.EqualTo(FsError.Ok));
        return attr.Ino;
    }

    private FileSystem FormatOrReopen()
    {
        if (!Directory.Exists(Folder))
        {
            FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        }
        return Reopen();
    }

    private FileSystem OpenFaulty(FaultSite site, RecordingLoggerFactory log, long cacheBytes = 64L << 20, int failTimes = 1)
    {
        string dataImage = new VolumeLayout(Folder).DataImage;
        return FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = cacheBytes,
            LoggerFactory = log,
            BlockStoreFactory = s => new FaultyBlockStore(dataImage, s.BlockSize, s.CapacityBlocks) { Site = site, FailAt = 1, FailTimes = failTimes },
        });
    }

    [Test]
    public void AFailedReadAnswersEioToThatReadOnlyAndTheVolumeCarriesOn()
    {
        long ino = WriteCommittedFile("f", 256 * 1024, 1, out var content);
        var log = new RecordingLoggerFactory();
        // Two failures: the read around the blocks asked for (their cache window), then the read of
        // those blocks alone, which the engine tries next.
        using (var fs = OpenFaulty(FaultSite.Read, log, failTimes: 2))
        {
            var buffer = new byte[8192];
            Assert.That(fs.Read(ino, 65536, buffer, out _), Is.EqualTo(FsError.Io), "the data file failed the read");
            Assert.That(fs.Failure, Is.Null, "a failed read loses nothing: the volume carries on");
            Assert.That(log.Messages, Has.Some.Contains($"inode {ino}").And.Contains("physical block"), "the log names the inode and the block");

            Assert.That(fs.Read(ino, 65536, buffer, out int n), Is.EqualTo(FsError.Ok), "the next read of the same blocks works");
            Assert.That(n, Is.EqualTo(buffer.Length));
            Assert.That(buffer, Is.EqualTo(content.AsSpan(65536, buffer.Length).ToArray()));
            Assert.That(fs.Write(ino, 10, new byte[] { 1, 2, 3 }, out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Fsync(ino), Is.EqualTo(FsError.Ok));
            content[10] = 1;
            content[11] = 2;
            content[12] = 3;
        }
        using (var again = Reopen())
        {
            var all = new byte[content.Length];
            Assert.That(again.Read(ino, 0, all, out _), Is.EqualTo(FsError.Ok));
            Assert.That(all, Is.EqualTo(content));
            Assert.That(again.Check(), Is.Empty);
        }
    }

    [Test]
    public void AFailureOfTheReadAroundAloneLeavesTheReadWorking()
    {
        long ino = WriteCommittedFile("f", 256 * 1024, 1, out var content);
        var log = new RecordingLoggerFactory();
        using var fs = OpenFaulty(FaultSite.Read, log);
        var buffer = new byte[8192];
        Assert.That(fs.Read(ino, 65536, buffer, out int n), Is.EqualTo(FsError.Ok), "the blocks asked for are read again alone, and that read works");
        Assert.That(n, Is.EqualTo(buffer.Length));
        Assert.That(buffer, Is.EqualTo(content.AsSpan(65536, buffer.Length).ToArray()));
        Assert.That(fs.Failure, Is.Null);
    }

    [Test]
    public void AWriteBackThatFailsWhileAReadEvictsStillStopsTheVolume()
    {
        long big = WriteCommittedFile("big", 2 << 20, 2, out _);
        long dirty = WriteCommittedFile("dirty", 4 * 64 * 1024, 3, out _);
        var log = new RecordingLoggerFactory();
        // The smallest cache: four windows. Eviction takes a clean window when it finds one, so each
        // of the four holds a dirty block (rewritten in place, below the dirty limit): reading the big
        // file must write one back.
        using var fs = OpenFaulty(FaultSite.Write, log, cacheBytes: 1);
        for (int window = 0; window < 4; window++)
        {
            Assert.That(fs.Write(dirty, window * 64 * 1024, new byte[4096], out _), Is.EqualTo(FsError.Ok));
        }
        var buffer = new byte[64 * 1024];
        var answers = new List<FsError>();
        for (long offset = 0; offset < 2 << 20 && fs.Failure == null; offset += buffer.Length)
        {
            answers.Add(fs.Read(big, offset, buffer, out _));
        }
        Assert.That(fs.Failure, Is.Not.Null, "the write-back of the dirty window failed: its data is lost");
        Assert.That(answers[^1], Is.EqualTo(FsError.Io), "the read that evicted it");
        Assert.That(fs.Fsync(dirty), Is.EqualTo(FsError.Io));
    }
}
