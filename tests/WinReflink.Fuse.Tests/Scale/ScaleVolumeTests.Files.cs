using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;
using WinReflink.Tests.Scale;

namespace WinReflink.Fuse.Tests.Scale;

public sealed partial class ScaleVolumeTests
{
    private const int StatSample = 2_000;
    private const int ReadSample = 200;
    /// <summary>Files holding a shared range read on top of the random ones, so the clones are always read back.</summary>
    private const int SharedReadSample = 10;

    /// <summary>`stat` of 2,000 files chosen at random over the tree gives the sizes they were built with.</summary>
    [Test, Order(4)]
    public void StatOfRandomFilesGivesTheirSizes()
    {
        EnsureMounted();
        var random = new Random(4);
        var chosen = Enumerable.Range(0, StatSample).Select(_ => random.NextInt64(Shape.Files)).ToList();
        var r = Timed($"stat of {StatSample:N0} random files (one stat process)", () =>
            ProcessRunner.Run("stat", ["--format=%s %n", .. chosen.Select(i => P(Shape.RelativePath(i)))]));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(StatSample), "one line per file");
        var wrong = new List<string>();
        for (int k = 0; k < StatSample; k++)
        {
            string expected = string.Create(CultureInfo.InvariantCulture, $"{Shape.VolumeFileSize(chosen[k])} {P(Shape.RelativePath(chosen[k]))}");
            if (lines[k] != expected)
            {
                wrong.Add($"{lines[k]} (expected {expected})");
            }
        }
        Assert.That(wrong, Is.Empty, "stat lines that differ (first 20): " + string.Join("; ", wrong.Take(20)));
    }

    /// <summary>Reading 200 random files, and 10 that hold a cloned range, gives the bytes they were built with.</summary>
    [Test, Order(5)]
    public void ReadingRandomFilesGivesTheirBytes()
    {
        EnsureMounted();
        var random = new Random(5);
        var chosen = Enumerable.Range(0, ReadSample).Select(_ => random.NextInt64(Shape.Files))
            .Concat(Enumerable.Range(0, SharedReadSample).Select(k => Shape.HolderOfSharedRange(k * SharedExtents / SharedReadSample)))
            .ToList();
        var wrong = Timed($"read {chosen.Count} files", () => chosen
            .Where(i => !File.ReadAllBytes(P(Shape.RelativePath(i))).AsSpan().SequenceEqual(Shape.VolumeContent(i)))
            .Select(Shape.RelativePath)
            .ToList());
        Assert.That(wrong, Is.Empty, "files whose bytes differ from the ones built");
    }

    /// <summary>The nested tree's files, the symlinks (read through) and the hard links (one inode, two names) as built.</summary>
    [Test, Order(6)]
    public void NestedFilesAndLinksAreAsBuilt()
    {
        EnsureMounted();
        var wrong = new List<string>();
        for (int k = 0; k < Extras.NestedFiles; k++)
        {
            var (path, number) = Extras.NestedFile(k);
            if (!File.ReadAllBytes(P(path)).AsSpan().SequenceEqual(ScaleTreeShape.Content(number)))
            {
                wrong.Add(path);
            }
        }
        Assert.That(wrong, Is.Empty, "nested files whose bytes differ");
        for (int k = 0; k < ExtraEntries.Links; k++)
        {
            long target = Extras.LinkTarget(k);
            string symlink = P(ExtraEntries.LinksDirectory + "/" + ExtraEntries.SymlinkName(k));
            Assert.That(new FileInfo(symlink).LinkTarget, Is.EqualTo(Extras.SymlinkTarget(k)), symlink);
            Assert.That(File.ReadAllBytes(symlink), Is.EqualTo(Shape.VolumeContent(target)), "read through " + symlink);
            var original = Libc.Stat(P(Shape.RelativePath(target)));
            var link = Libc.Stat(P(ExtraEntries.LinksDirectory + "/" + ExtraEntries.HardLinkName(k)));
            Assert.That((link.Ino, link.Nlink, original.Nlink), Is.EqualTo((original.Ino, 2u, 2u)), $"hard link {k} to {Shape.RelativePath(target)}");
        }
    }
}
