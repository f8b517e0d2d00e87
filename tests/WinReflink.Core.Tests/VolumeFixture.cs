namespace WinReflink.Core.Tests;

/// <summary>A fresh volume folder per test, removed afterwards.</summary>
public abstract class VolumeFixture
{
    protected string Folder { get; private set; } = "";

    [SetUp]
    public void CreateFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), "wrl-test-" + Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void RemoveFolder()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    protected FileSystem FormatAndOpen(long size = 256L << 20, bool caseSensitive = false)
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = size, CaseSensitive = caseSensitive });
        return FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 });
    }

    protected FileSystem Reopen() => FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 });
}
