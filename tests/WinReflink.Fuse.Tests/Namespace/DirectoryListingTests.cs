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
