using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Lifecycle;

/// <summary>The mount options: --read-only refuses every change, --kernel-cache keeps data right through the page cache.</summary>
public sealed class MountOptionTests : MountedTest
{
    [Test]
    public void ReadOnlyMountServesReadsAndRefusesChanges()
    {
        File.WriteAllText(P("kept"), "read me");
        Directory.CreateDirectory(P("dir"));
        Remount("--read-only");
        Assert.That(File.ReadAllText(P("kept")), Is.EqualTo("read me"));
        Assert.That(Info().Files, Is.GreaterThanOrEqualTo(1), "the control channel works read-only");
        foreach (string command in new[] { $"echo x > '{P("new")}'", $"echo x >> '{P("kept")}'", $"rm '{P("kept")}'", $"mkdir '{P("d2")}'",
            $"mv '{P("kept")}' '{P("moved")}'", $"chmod 600 '{P("kept")}'", $"truncate -s 0 '{P("kept")}'" })
        {
            var r = ProcessRunner.Run("sh", "-c", command);
            Assert.That(r.ExitCode, Is.Not.Zero, command);
            Assert.That(r.Stderr, Does.Contain("Read-only file system"), r.ToString());
        }
        Assert.That(File.ReadAllText(P("kept")), Is.EqualTo("read me"));
        Assert.That(Directory.GetFileSystemEntries(MountPoint).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "dir", "kept" }));
    }

    [Test]
    public void KernelCacheMountKeepsReflinksAndDataConsistent()
    {
        Remount("--kernel-cache");
        var data = new byte[16 << 20];
        new Random(8).NextBytes(data);
        File.WriteAllBytes(P("src"), data);
        Assert.That(File.ReadAllBytes(P("src")), Is.EqualTo(data), "read back through the page cache");
        ProcessRunner.RunOk("cp", P("src"), P("copy"));
        Assert.That(Info().SharedBytes, Is.EqualTo(16L << 20), "cp still makes a reflink");
        PatternFile.Overwrite(P("copy"), 4096, new byte[4096]);
        var expected = (byte[])data.Clone();
        Array.Clear(expected, 4096, 4096);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(P("copy")), Is.EqualTo(expected), "the copy has its write");
            Assert.That(File.ReadAllBytes(P("src")), Is.EqualTo(data), "the cached source is intact");
        });
        // A clone over a file whose pages are cached must not leave the old pages visible.
        ProcessRunner.RunOk("cp", P("src"), P("copy"));
        Assert.That(File.ReadAllBytes(P("copy")), Is.EqualTo(data), "copy again over the cached copy");
    }
}
