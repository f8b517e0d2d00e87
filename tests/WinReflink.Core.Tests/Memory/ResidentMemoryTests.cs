using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Memory;

/// <summary>
/// The engine holds all metadata in memory, so what each file costs there decides how many files a
/// mount can hold. These tests measure the managed heap after a full blocking collection (the same
/// figure on every run: object sizes, not timing) per small file, and fail when it grows past a
/// bound. Each ordered map once started with a 256-entry chunk: about 9,000 bytes per file.
/// </summary>
public class ResidentMemoryTests : VolumeFixture
{
    private const int Files = 20_000;
    private const int Directories = 20;

    /// <summary>
    /// Measured 706 bytes per file (an inode, its one-extent map and its directory entry); the bound
    /// leaves room for a few more fields, not for a per-file structure sized for many entries.
    /// </summary>
    private const long MaxBytesPerFile = 1024;

    private static long ManagedHeap() => GC.GetTotalMemory(forceFullCollection: true);

    [Test]
    public void SmallFilesCostUnderAKilobyteEachWhileMountedAndAfterReopening()
    {
        var data = new byte[100];
        Array.Fill(data, (byte)'x');
        long before = ManagedHeap();
        long afterCommit;
        using (var fs = FormatAndOpen(1L << 30))
        {
            long opened = ManagedHeap();
            var directories = new long[Directories];
            for (int d = 0; d < Directories; d++)
            {
                Assert.That(fs.Mkdir(FileSystem.RootIno, $"d{d:00}", new CreateRequest(0x1ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok));
                directories[d] = dir.Ino;
            }
            for (int i = 0; i < Files; i++)
            {
                Assert.That(fs.Create(directories[i % Directories], $"file-{i:0000000}.txt", new CreateRequest(0x1A4, 0, 0), out var file), Is.EqualTo(FsError.Ok));
                Assert.That(fs.Write(file.Ino, 0, data, out int written), Is.EqualTo(FsError.Ok));
                Assert.That(written, Is.EqualTo(data.Length));
            }
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            afterCommit = (ManagedHeap() - opened) / Files;
            TestContext.Out.WriteLine($"mounted, after the commit: {afterCommit} bytes per file");
        }
        long closed = ManagedHeap();
        TestContext.Out.WriteLine($"left after closing: {(closed - before) / Files} bytes per file");

        using (var fs = Reopen())
        {
            long reopened = (ManagedHeap() - closed) / Files;
            TestContext.Out.WriteLine($"after reopening: {reopened} bytes per file");
            Assert.That(fs.Lookup(FileSystem.RootIno, "d07", out var dir), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Lookup(dir.Ino, "file-0019987.txt", out var file), Is.EqualTo(FsError.Ok));
            Assert.That(file.Size, Is.EqualTo(data.Length), "the volume holds what was written");
            Assert.Multiple(() =>
            {
                Assert.That(afterCommit, Is.LessThan(MaxBytesPerFile), "managed heap per file on the volume that created them");
                Assert.That(reopened, Is.LessThan(MaxBytesPerFile), "managed heap per file after reopening the volume");
            });
        }
    }
}
