using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

/// <summary>
/// The metadata budget's estimate (<see cref="Namespace.InodeEviction"/>) follows inodes out of memory
/// when they are destroyed, so creating and unlinking files on a volume near its budget does not keep
/// raising it until a scan runs only to find the memory already gone (issue 11: unlink on a big volume).
/// </summary>
public sealed class MetadataEstimateTests : VolumeFixture
{
    private static readonly CreateRequest File = new(0x81a4, 0, 0);
    private const int Files = 100;

    private FileSystem FormatAndOpen()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 256L << 20 });
        return FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 });
    }

    /// <summary>
    /// The estimate once the root is loaded and knows that none of <paramref name="names"/> exists:
    /// what stays resident after files of those names come and go (the root, and its cached answers).
    /// </summary>
    private static long Settled(FileSystem fs, params string[] names)
    {
        foreach (string name in names)
        {
            Assert.That(fs.Lookup(FileSystem.RootIno, name, out _), Is.EqualTo(FsError.NotFound));
        }
        return fs.MetadataStatistics().EstimatedBytes;
    }

    [Test]
    public void CreateAndUnlinkGiveTheEstimateBack()
    {
        using var fs = FormatAndOpen();
        string[] names = Enumerable.Range(0, Files).Select(i => $"f{i}").ToArray();
        long before = Settled(fs, names);
        foreach (string name in names)
        {
            Assert.That(fs.Create(FileSystem.RootIno, name, File, out _), Is.EqualTo(FsError.Ok));
        }
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(fs.MetadataStatistics().EstimatedBytes, Is.GreaterThan(before), "created inodes count against the budget");
        foreach (string name in names)
        {
            Assert.That(fs.Unlink(FileSystem.RootIno, name), Is.EqualTo(FsError.Ok));
        }
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(fs.MetadataStatistics().EstimatedBytes, Is.EqualTo(before), "unlinked and destroyed, they count no more");
            Assert.That(fs.MetadataStatistics().ResidentInodes, Is.EqualTo(1), "only the root is resident");
        });
    }

    [Test]
    public void AnOrphanGivesItsShareBackWhenItsLastReferenceGoes()
    {
        using var fs = FormatAndOpen();
        long before = Settled(fs, "held");
        Assert.That(fs.Create(FileSystem.RootIno, "held", File, out var a), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Reference(a.Ino, out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "held"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.MetadataStatistics().EstimatedBytes, Is.GreaterThan(before), "an orphan the host holds is still in memory");
        fs.Unreference(a.Ino, 1);
        Assert.Multiple(() =>
        {
            Assert.That(fs.GetAttributes(a.Ino, out _), Is.EqualTo(FsError.NotFound));
            Assert.That(fs.MetadataStatistics().EstimatedBytes, Is.EqualTo(before), "the FORGET that destroyed it gave its share back");
        });
    }
}
