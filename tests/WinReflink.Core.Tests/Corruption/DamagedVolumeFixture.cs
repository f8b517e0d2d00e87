using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// A small sound volume for the focused corruption and repair tests: the inode numbers of what it
/// holds, so a test can damage exactly one thing with SQL while the volume is closed.
/// </summary>
public abstract class DamagedVolumeFixture : VolumeFixture
{
    protected const int BlockSize = 4096;

    protected long Dir { get; private set; }
    protected long SubDir { get; private set; }
    protected long FileA { get; private set; }
    protected long CloneOfA { get; private set; }
    protected long FileB { get; private set; }

    protected string MetaDb => Path.Combine(Folder, "meta.db");

    /// <summary>/dir/sub, /dir/a (5 blocks), /clone (a clone of a), /b (a partial block); closed clean.</summary>
    protected void MakeVolume(bool caseSensitive = false)
    {
        using var fs = FormatAndOpen(caseSensitive: caseSensitive);
        Dir = Ok(fs.Mkdir(FileSystem.RootIno, "dir", new CreateRequest(0x41ED, 0, 0), out var d), d);
        SubDir = Ok(fs.Mkdir(Dir, "sub", new CreateRequest(0x41ED, 0, 0), out var s), s);
        FileA = Ok(fs.Create(Dir, "a", new CreateRequest(0x81A4, 0, 0), out var a), a);
        var data = new byte[5 * BlockSize];
        new Random(1).NextBytes(data);
        Assert.That(fs.Write(FileA, 0, data, out _), Is.EqualTo(FsError.Ok));
        CloneOfA = Ok(fs.Create(FileSystem.RootIno, "clone", new CreateRequest(0x81A4, 0, 0), out var c), c);
        Assert.That(fs.CloneRange(FileA, 0, CloneOfA, 0, long.MaxValue, out _), Is.EqualTo(FsError.Ok));
        FileB = Ok(fs.Create(FileSystem.RootIno, "b", new CreateRequest(0x81A4, 0, 0), out var b), b);
        Assert.That(fs.Write(FileB, 0, data.AsSpan(0, 1000), out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Check(), Is.Empty);
    }

    private static long Ok(FsError e, InodeAttributes attributes)
    {
        Assert.That(e, Is.EqualTo(FsError.Ok));
        return attributes.Ino;
    }

    /// <summary>Runs SQL on the closed volume; with <paramref name="reseal"/> the row checksums are recomputed so only the values are wrong.</summary>
    protected void Damage(bool reseal, params string[] statements)
    {
        foreach (string sql in statements)
        {
            Assert.That(VolumeDamage.Sql(MetaDb, sql), Is.GreaterThan(0), sql);
        }
        if (reseal)
        {
            Metadata.RowChecksums.ResealAll(MetaDb);
        }
    }

    protected long Scalar(string sql) => VolumeDamage.Longs(MetaDb, sql)[0];

    protected FileSystem OpenReadWrite(bool repairing = false) =>
        FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20, Repairing = repairing });
}
