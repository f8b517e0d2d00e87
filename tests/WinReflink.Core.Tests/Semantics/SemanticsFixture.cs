using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>Helpers for tests that call the engine directly, as the CLI and the Windows host do.</summary>
public abstract class SemanticsFixture : VolumeFixture
{
    protected static long NewFile(FileSystem fs, long parent, string name, string text = "", uint mode = 0x1A4)
    {
        Assert.That(fs.Create(parent, name, new CreateRequest(mode, 0, 0), out var a), Is.EqualTo(FsError.Ok), $"create {name}");
        if (text.Length > 0)
        {
            Assert.That(fs.Write(a.Ino, 0, System.Text.Encoding.UTF8.GetBytes(text), out _), Is.EqualTo(FsError.Ok));
        }
        return a.Ino;
    }

    protected static long NewDirectory(FileSystem fs, long parent, string name)
    {
        Assert.That(fs.Mkdir(parent, name, new CreateRequest(0x1ED, 0, 0), out var a), Is.EqualTo(FsError.Ok), $"mkdir {name}");
        return a.Ino;
    }

    /// <summary>The directory's entries as (stored name, inode, cookie), in listing order.</summary>
    protected static List<DirectoryEntry> List(FileSystem fs, long dir)
    {
        var entries = new List<DirectoryEntry>();
        Assert.That(fs.ReadDirectory(dir, 0, e =>
        {
            entries.Add(e);
            return true;
        }), Is.EqualTo(FsError.Ok));
        return entries;
    }

    protected static string Read(FileSystem fs, long ino)
    {
        Assert.That(fs.GetAttributes(ino, out var a), Is.EqualTo(FsError.Ok));
        var buffer = new byte[a.Size];
        Assert.That(fs.Read(ino, 0, buffer, out int n), Is.EqualTo(FsError.Ok));
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>Opens the volume with a metadata budget so small that every eviction drops every clean inode and entry.</summary>
    protected FileSystem OpenWithTinyBudget() =>
        FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20, MetadataCacheBytes = 1 });

    /// <summary>Commits, checks every invariant, closes, reopens and checks again.</summary>
    protected FileSystem CheckedReopen(FileSystem fs)
    {
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Check(), Is.Empty, "the running volume is sound");
        fs.Dispose();
        var again = Reopen();
        Assert.That(again.Check(), Is.Empty, "the reopened volume is sound");
        return again;
    }
}
