using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;
using WinReflink.Tests.Scale;

namespace WinReflink.Fuse.Tests.Scale;

public sealed partial class ScaleVolumeTests
{
    /// <summary>`find` over the whole mount (readdir of every directory, no stat) sees every file, directory and symlink once.</summary>
    [Test, Order(2)]
    public void FindCountsEveryEntry()
    {
        EnsureMounted();
        Assert.That(CountByFind(), Is.EqualTo(_expected));
    }

    /// <summary>`ls -l` of the 100,000-entry directory (a readdir and a stat of every entry) lists every name once with its size.</summary>
    [Test, Order(3)]
    public void LongListingOfTheBigDirectoryHasEveryNameOnceWithItsSize()
    {
        EnsureMounted();
        var r = Timed($"ls -ln of {ScaleTreeShape.BigDirectory}/ ({Shape.BigFiles:N0} entries)", () =>
            ProcessRunner.Run("ls", "-ln", "--time-style=+%s", P(ScaleTreeShape.BigDirectory)));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var sizes = new Dictionary<string, long>();
        var duplicates = new List<string>();
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("total ", StringComparison.Ordinal))
            {
                continue;
            }
            // "-rw-r--r-- 1 0 0 1234 1733497200 f0000000.dat": mode, links, uid, gid, size, time, name.
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(fields, Has.Length.EqualTo(7), $"an ls -ln line of seven fields: {line}");
            if (!sizes.TryAdd(fields[6], long.Parse(fields[4], CultureInfo.InvariantCulture)))
            {
                duplicates.Add(fields[6]);
            }
        }
        Assert.That(duplicates, Is.Empty, "names listed twice");
        Assert.That(sizes, Has.Count.EqualTo(Shape.BigFiles), "entries listed");
        var wrong = new List<string>();
        for (long i = 0; i < Shape.BigFiles; i++)
        {
            string name = ScaleTreeShape.FileName(i);
            if (!sizes.TryGetValue(name, out long size))
            {
                wrong.Add($"{name} missing");
            }
            else if (size != Shape.VolumeFileSize(i))
            {
                wrong.Add($"{name}: {size} bytes, built with {Shape.VolumeFileSize(i)}");
            }
        }
        Assert.That(wrong, Is.Empty, "names missing or with the wrong size (first 20): " + string.Join("; ", wrong.Take(20)));
    }

    /// <summary>`find -printf %y` over the mount: regular files, directories and symlinks, the mount's root included.</summary>
    private ExpectedCounts CountByFind()
    {
        var r = Timed("find over the mount", () => ProcessRunner.Run("find", Area.MountPoint, "-printf", "%y\n"));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        long files = 0, directories = 0, symlinks = 0;
        foreach (string type in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (type)
            {
                case "f": files++; break;
                case "d": directories++; break;
                case "l": symlinks++; break;
                default: Assert.Fail($"find saw an entry of type {type}, which the volume was not built with"); break;
            }
        }
        return new ExpectedCounts(files, directories, symlinks);
    }
}
