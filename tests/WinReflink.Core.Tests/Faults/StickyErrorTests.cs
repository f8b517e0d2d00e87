using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// Once a commit fails, the error is sticky (issue 6, defects 2 and 3): every later fsync, sync and
/// close of a file whose changes did not reach disk answers EIO, changes are refused, nothing more is
/// committed, and reopening returns the volume to its last commit.
/// </summary>
public class StickyErrorTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private FileSystem OpenWith(FaultSite site, int failAt, TimeSpan commitInterval, Func<FaultyBlockStore>? custom = null)
    {
        return FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = commitInterval,
            CacheSizeBytes = 64L << 20,
            BlockStoreFactory = s => custom?.Invoke() ?? new FaultyBlockStore(new VolumeLayout(Folder).DataImage, s.BlockSize, s.CapacityBlocks) { Site = site, FailAt = failAt },
        });
    }

    private static long Create(FileSystem fs, string name, byte[] content)
    {
        Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Write(attr.Ino, 0, content, out _), Is.EqualTo(FsError.Ok));
        return attr.Ino;
    }

    private static byte[] Bytes(int seed, int length)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] ReadAll(FileSystem fs, long ino)
    {
        Assert.That(fs.GetAttributes(ino, out var attr), Is.EqualTo(FsError.Ok));
        var content = new byte[attr.Size];
        Assert.That(fs.Read(ino, 0, content, out _), Is.EqualTo(FsError.Ok));
        return content;
    }

    [Test]
    public void AFailedCommitMakesEveryLaterFsyncOfAChangedFileFail()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        long kept;
        using (var setup = Reopen())
        {
            kept = Create(setup, "kept", Bytes(1, 10_000));
        }
        using (var fs = OpenWith(FaultSite.Flush, failAt: 1, TimeSpan.Zero))
        {
            long a = Create(fs, "a", Bytes(2, 5000));
            long b = Create(fs, "b", Bytes(3, 70_000));
            Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io), "the commit failed");
            Assert.That(fs.Failure, Does.Contain("injected at flush #1"));
            Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io), "the error is sticky");
            Assert.That(fs.Fsync(b), Is.EqualTo(FsError.Io), "b's changes were in the failed commit too");
            Assert.That(fs.Flush(b), Is.EqualTo(FsError.Io), "close reports the loss");
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Io));
            Assert.That(fs.Fsync(kept), Is.EqualTo(FsError.Ok), "kept has no change that was lost");
            Assert.That(fs.IsReadOnly, Is.True);
            Assert.That(fs.Write(kept, 0, Bytes(4, 10), out _), Is.EqualTo(FsError.ReadOnly));
            Assert.That(fs.Create(FileSystem.RootIno, "c", new CreateRequest(RegularFile, 0, 0), out _), Is.EqualTo(FsError.ReadOnly));
            Assert.That(ReadAll(fs, kept), Is.EqualTo(Bytes(1, 10_000)), "the volume stays readable");
        }
        using var again = Reopen();
        Assert.That(again.Lookup(FileSystem.RootIno, "a", out _), Is.EqualTo(FsError.NotFound));
        Assert.That(again.Lookup(FileSystem.RootIno, "b", out _), Is.EqualTo(FsError.NotFound));
        Assert.That(ReadAll(again, kept), Is.EqualTo(Bytes(1, 10_000)));
        Assert.That(again.Check(), Is.Empty);
    }

    [Test]
    public void AFailureInTheBackgroundCommitIsReportedToTheNextFsync()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        using var fs = OpenWith(FaultSite.Write, failAt: 1, TimeSpan.FromMilliseconds(20));
        long a = Create(fs, "a", Bytes(5, 50_000));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (fs.Failure == null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.That(fs.Failure, Does.Contain("a commit failed"), "the timer's commit wrote back a's blocks and failed");
        Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io));
    }

    /// <summary>Any exception in the background commit, not only I/O ones, stops the volume instead of the process.</summary>
    [Test]
    public void AnUnexpectedExceptionInTheBackgroundCommitStopsTheVolumeNotTheProcess()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var data = new VolumeLayout(Folder).DataImage;
        using var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.FromMilliseconds(20),
            CacheSizeBytes = 64L << 20,
            BlockStoreFactory = s => new ThrowingOnFlushStore(data, s.BlockSize, s.CapacityBlocks),
        });
        long a = Create(fs, "a", Bytes(6, 4096));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (fs.Failure == null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.That(fs.Failure, Does.Contain("InvalidOperationException"));
        Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io));
        Assert.That(ReadAll(fs, a), Is.EqualTo(Bytes(6, 4096)));
    }

    private sealed class ThrowingOnFlushStore : Storage.BlockStore
    {
        private readonly FaultyBlockStore _inner;

        public ThrowingOnFlushStore(string data, int blockSize, long capacity)
            : base(blockSize, capacity)
        {
            _inner = new FaultyBlockStore(data, blockSize, capacity);
        }

        public override void Flush() => throw new InvalidOperationException("a broken invariant in the flush path");

        protected override void ReadCore(long offset, Span<byte> destination) => _inner.Read(offset / BlockSize, destination);

        protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers) => _inner.Write(offset / BlockSize, buffers);

        public override void Dispose()
        {
            _inner.Dispose();
            base.Dispose();
        }
    }
}
