using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>READDIR/READDIRPLUS over many reply buffers: every entry exactly once, with its type.</summary>
public sealed class DirectoryListingTests : MountedTest
{
    [Test]
    public void LargeDirectoryListsEveryEntryOnce()
    {
        const int Count = 3000;
        Directory.CreateDirectory(P("big"));
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Count; i++)
        {
            // Long names fill a listing buffer after a few dozen entries, so the kernel resumes at many offsets.
            string name = $"entry-{i:D5}-" + new string((char)('a' + (i % 26)), 100 + (i % 100));
            expected.Add(name);
            if (i % 10 == 0)
            {
                Directory.CreateDirectory(P("big/" + name));
            }
            else
            {
                File.WriteAllText(P("big/" + name), "");
            }
        }
        var ls = ProcessRunner.RunOk("ls", "-1", "-f", P("big"));
        var listed = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n is not "." and not "..").ToList();
        Assert.That(listed, Has.Count.EqualTo(Count), "no entry twice, none missing");
        Assert.That(listed.ToHashSet(StringComparer.Ordinal).SetEquals(expected), Is.True);

        var dirs = ProcessRunner.RunOk("find", P("big"), "-mindepth", "1", "-maxdepth", "1", "-type", "d");
        Assert.That(dirs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(Count / 10), "d_type of the directories");
        Assert.That(Libc.Stat(P("big")).Nlink, Is.EqualTo((uint)(2 + (Count / 10))));
    }

    /// <summary>
    /// A plain READDIR answers each d_type from the entry (format version 6), loading no inode: after
    /// getdents of a directory of 2,000 files on a fresh mount, the mount holds far fewer inodes than
    /// that (the kernel's first READDIR of a listing is a READDIRPLUS, whose page of inodes loads). The
    /// typed entries are made last, so they come in the plain READDIRs past that first page.
    /// </summary>
    [Test]
    public void APlainListingTakesEachTypeFromTheEntryAndLoadsNoInode()
    {
        const int Files = 2000;
        Directory.CreateDirectory(P("d"));
        for (int i = 0; i < Files; i++)
        {
            File.WriteAllText(P($"d/f{i:D4}"), "");
        }
        Directory.CreateDirectory(P("d/z-dir"));
        File.CreateSymbolicLink(P("d/z-link"), "f0000");
        ProcessRunner.RunOk("mkfifo", P("d/z-fifo"));
        Remount();

        int fd = Libc.Open(P("d"), Libc.ODirectory);
        List<(string Name, byte Type)> entries;
        try
        {
            Assert.That(Libc.TryReadDirectoryEntries(fd, out entries), Is.Zero);
        }
        finally
        {
            Libc.Close(fd);
        }
        var stats = Programs.Winreflink("stats", "--json", MountPoint);
        Assert.That(stats.ExitCode, Is.Zero, stats.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(stats.Stdout);
        long resident = doc.RootElement.GetProperty("residentInodes").GetInt64();
        // The first READDIRPLUS loads the engine's first page of 256 inodes; the plain READDIRs after it load none.
        Assert.That(resident, Is.LessThan(Files / 4), "the listing loaded no inode per entry");

        var types = entries.Where(e => e.Name is not "." and not "..").ToDictionary(e => e.Name, e => e.Type);
        Assert.That(types, Has.Count.EqualTo(Files + 3));
        const byte DtFifo = 1, DtDir = 4, DtReg = 8, DtLnk = 10;
        Assert.Multiple(() =>
        {
            Assert.That(types["z-dir"], Is.EqualTo(DtDir));
            Assert.That(types["z-link"], Is.EqualTo(DtLnk));
            Assert.That(types["z-fifo"], Is.EqualTo(DtFifo));
            Assert.That(types.Where(t => t.Key.StartsWith('f')).Select(t => t.Value), Is.All.EqualTo(DtReg));
        });
    }

    [Test]
    public void ListingWhileRemovingNeverRepeatsAnEntry()
    {
        for (int i = 0; i < 500; i++)
        {
            File.WriteAllText(P($"f{i:D4}-{new string('x', 150)}"), "");
        }
        var seen = new List<string>();
        int removed = 0;
        foreach (string path in Directory.EnumerateFiles(MountPoint))
        {
            seen.Add(Path.GetFileName(path));
            // Remove an entry not yet returned (from the end of the name order) while listing.
            string victim = P($"f{499 - removed:D4}-{new string('x', 150)}");
            if (removed < 200 && File.Exists(victim) && !seen.Contains(Path.GetFileName(victim)))
            {
                File.Delete(victim);
                removed++;
            }
        }
        Assert.That(seen, Is.Unique, "an entry is returned at most once");
        Assert.That(seen.Count, Is.InRange(500 - removed, 500));
        Assert.That(Directory.GetFiles(MountPoint), Has.Length.EqualTo(500 - removed));
    }
}
