using WinReflink.Core.Errors;
namespace WinReflink.Core.Tests.Units.Cache;

/// <summary>
/// A volume over an in-memory <see cref="PausableBlockStore"/> whose bytes outlive it: files written,
/// the volume closed and reopened over the same bytes, so the cache starts cold and every block a
/// read needs goes through <see cref="Store"/>, where it can be counted, held or failed.
/// </summary>
public abstract class ColdVolumeFixture : VolumeFixture
{
    protected const uint RegularFile = 0x81A4;
    protected const int BlockSize = 4096;

    private byte[]? _image;
    private PausableBlockStore? _store;
    private FileSystem? _fs;

    private protected PausableBlockStore Store => _store!;

    [TearDown]
    public void CloseVolume()
    {
        _store?.Release();
        _fs?.Dispose();
        _fs = null;
    }

    private FileSystem Open()
    {
        _fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 64L << 20,
            BlockStoreFactory = s => _store = new PausableBlockStore(s.BlockSize, s.CapacityBlocks, _image ??= new byte[s.BlockSize * s.CapacityBlocks]),
        });
        return _fs;
    }

    protected static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }

    protected static void Ok(FsError e) => Assert.That(e, Is.EqualTo(FsError.Ok));

    /// <summary>Formats a 64 MiB volume, creates the files with their contents, and reopens it cold; returns the files' inodes in order.</summary>
    protected FileSystem OpenCold(out long[] inodes, params (string Name, byte[] Content)[] files)
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var fs = Open();
        inodes = new long[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            Ok(fs.Create(FileSystem.RootIno, files[i].Name, new CreateRequest(RegularFile, 0, 0), out var created));
            Ok(fs.Write(created.Ino, 0, files[i].Content, out _));
            inodes[i] = created.Ino;
        }
        fs.Dispose();
        return Open();
    }

    /// <summary>Closes the volume and opens it again over the same bytes, with nothing cached.</summary>
    protected FileSystem Reopen(FileSystem fs)
    {
        fs.Dispose();
        return Open();
    }

    protected static byte[] ReadAll(FileSystem fs, long ino, int length, long offset = 0)
    {
        var buffer = new byte[length];
        Ok(fs.Read(ino, offset, buffer, out int n));
        return buffer[..n];
    }
}
