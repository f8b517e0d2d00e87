using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Semantics;

/// <summary>
/// renameat2(RENAME_WHITEOUT) on the mount, and overlayfs using a directory of the mount as its upper
/// layer (as container engines do), which needs it.
/// </summary>
public sealed class WhiteoutTests : MountedTest
{
    [Test]
    public void RenameWhiteoutLeavesACharacterDevice00()
    {
        File.WriteAllText(P("src"), "data");
        ulong ino = Libc.Stat(P("src")).Ino;
        Assert.That(Libc.Rename2(P("src"), P("dst"), Libc.RenameWhiteout), Is.Zero);
        var whiteout = Libc.Stat(P("src"), followSymlinks: false);
        Assert.Multiple(() =>
        {
            Assert.That(whiteout.FileType, Is.EqualTo(0x2000u), "a character device");
            Assert.That((whiteout.RdevMajor, whiteout.RdevMinor), Is.EqualTo((0u, 0u)), "device 0/0");
            Assert.That(whiteout.Ino, Is.Not.EqualTo(ino));
            Assert.That(Libc.Stat(P("dst")).Ino, Is.EqualTo(ino));
            Assert.That(File.ReadAllText(P("dst")), Is.EqualTo("data"));
            Assert.That(Libc.Rename2(P("dst"), P("src"), Libc.RenameWhiteout | Libc.RenameExchange), Is.EqualTo(Libc.EInval));
            Assert.That(Libc.Rename2(P("dst"), P("src"), Libc.RenameWhiteout | Libc.RenameNoReplace), Is.EqualTo(Libc.EExist));
        });
        Remount();
        Assert.That(Libc.Stat(P("src"), followSymlinks: false).FileType, Is.EqualTo(0x2000u), "committed");
    }

    [Test]
    public void OverlayfsUsesTheMountAsItsUpperLayer()
    {
        string lower = Area.PathOf("lower"), merged = Area.PathOf("merged");
        Directory.CreateDirectory(Path.Combine(lower, "dir"));
        File.WriteAllText(Path.Combine(lower, "deleted"), "lower");
        File.WriteAllText(Path.Combine(lower, "renamed"), "moves");
        File.WriteAllText(Path.Combine(lower, "dir/kept"), "kept");
        File.WriteAllText(Path.Combine(lower, "dir/gone"), "gone");
        Directory.CreateDirectory(P("upper"));
        Directory.CreateDirectory(P("work"));
        Directory.CreateDirectory(merged);
        var mount = ProcessRunner.Run("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={lower},upperdir={P("upper")},workdir={P("work")}", merged);
        Assert.That(mount.ExitCode, Is.Zero, mount + "\n" + ProcessRunner.Run("sh", "-c", "dmesg | grep -i overlay | tail -5").Stdout);
        try
        {
            File.Delete(Path.Combine(merged, "deleted"));
            File.Move(Path.Combine(merged, "renamed"), Path.Combine(merged, "dir/moved"));
            File.Delete(Path.Combine(merged, "dir/gone"));
            File.WriteAllText(Path.Combine(merged, "dir/kept"), "changed");
            File.WriteAllText(Path.Combine(merged, "new"), "new");

            Assert.Multiple(() =>
            {
                Assert.That(Directory.EnumerateFileSystemEntries(merged).Select(Path.GetFileName).Order(StringComparer.Ordinal),
                    Is.EqualTo(new List<string> { "dir", "new" }), "the deleted and renamed lower files are hidden");
                Assert.That(Directory.EnumerateFileSystemEntries(Path.Combine(merged, "dir")).Select(Path.GetFileName).Order(StringComparer.Ordinal),
                    Is.EqualTo(new List<string> { "kept", "moved" }));
                Assert.That(File.ReadAllText(Path.Combine(merged, "dir/moved")), Is.EqualTo("moves"));
                Assert.That(File.ReadAllText(Path.Combine(merged, "dir/kept")), Is.EqualTo("changed"));
                Assert.That(File.ReadAllText(Path.Combine(lower, "dir/kept")), Is.EqualTo("kept"), "the lower layer is untouched");
                foreach (string whiteout in new[] { "upper/deleted", "upper/renamed", "upper/dir/gone" })
                {
                    var s = Libc.Stat(P(whiteout), followSymlinks: false);
                    Assert.That((s.FileType, s.RdevMajor, s.RdevMinor), Is.EqualTo((0x2000u, 0u, 0u)), whiteout + " is a whiteout in the upper layer");
                }
            });
        }
        finally
        {
            ProcessRunner.Run("umount", merged);
        }
        Assert.That(Directory.EnumerateFileSystemEntries(P("upper")).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new List<string> { "deleted", "dir", "new", "renamed" }), "the upper layer holds the changes");
    }
}
