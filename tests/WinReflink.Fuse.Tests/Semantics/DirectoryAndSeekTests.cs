using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Semantics;

/// <summary>Directory listing and seek semantics programs rely on, through real syscalls on the mount.</summary>
public sealed class DirectoryAndSeekTests : MountedTest
{
    [Test]
    public void AReaddirLoopThatRenamesEachEntryEnds()
    {
        const int Files = 300;
        Directory.CreateDirectory(P("d"));
        for (int i = 0; i < Files; i++)
        {
            File.WriteAllBytes(P($"d/f{i:D3}"), []);
        }

        // opendir + readdir (getdents64 in pages), renaming each entry as it comes, as a batch renamer does.
        // Before the fix every renamed entry came back with a new cookie and the loop never ended; the
        // limit turns that into a failure instead of a hang.
        var seen = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(P("d")))
        {
            string name = Path.GetFileName(path);
            seen.Add(name);
            File.Move(path, P("d/x" + name));
            if (seen.Count > 20 * Files)
            {
                break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Count.EqualTo(Files), "each entry that existed at opendir, once");
            Assert.That(seen.Distinct().Count(), Is.EqualTo(Files));
            Assert.That(Directory.EnumerateFileSystemEntries(P("d")).Select(Path.GetFileName), Is.All.StartsWith("xf"), "all renamed");
            Assert.That(Directory.EnumerateFileSystemEntries(P("d")).Count(), Is.EqualTo(Files), "a new listing sees the new names");
        });
    }

    [Test]
    public void SeekDataAndHoleBeforeTheStartAreENXIO()
    {
        File.WriteAllBytes(P("f"), new byte[8192]);
        int fd = Libc.Open(P("f"), Libc.ORdOnly);
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(Libc.LSeek(fd, -1, Libc.SeekData), Is.EqualTo(-Libc.ENxio), "SEEK_DATA at -1");
                Assert.That(Libc.LSeek(fd, -4096, Libc.SeekHole), Is.EqualTo(-Libc.ENxio), "SEEK_HOLE at -4096");
                Assert.That(Libc.LSeek(fd, long.MinValue, Libc.SeekData), Is.EqualTo(-Libc.ENxio), "SEEK_DATA at the most negative offset");
                Assert.That(Libc.LSeek(fd, 0, Libc.SeekData), Is.Zero, "SEEK_DATA at 0 still finds the data");
                Assert.That(Libc.LSeek(fd, 0, Libc.SeekHole), Is.EqualTo(8192), "and SEEK_HOLE the end");
            });
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
