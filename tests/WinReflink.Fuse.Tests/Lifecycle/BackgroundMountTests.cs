using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Lifecycle;

/// <summary>`winreflink mount --background`: returns once the mount answers, outlives its caller, and a plain `umount` ends it cleanly.</summary>
public sealed class BackgroundMountTests
{
    [Test]
    public void ReturnsOnceMountedAndUmountEndsItWithACommit()
    {
        using var area = TestArea.Create();
        var started = Programs.Winreflink("mount", "--background", area.Volume, area.MountPoint);
        Assert.That(started.ExitCode, Is.Zero, started.ToString());
        Assert.That(MountTable.TypeAt(area.MountPoint), Is.EqualTo("fuse.winreflink"), "mounted when the command returned");
        int pid = int.Parse(System.Text.RegularExpressions.Regex.Match(started.Stdout, @"process (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        string log = System.Text.RegularExpressions.Regex.Match(started.Stdout, @"log (\S+)\)").Groups[1].Value;

        File.WriteAllText(Path.Combine(area.MountPoint, "kept.txt"), "written through a background mount");
        ProcessRunner.RunOk("umount", area.MountPoint);
        WaitForExit(pid);

        Assert.That(File.ReadAllText(log), Does.Contain("volume closed cleanly"), "the mount logged its clean end");
        VolumeCheck.AssertClean(area.Volume);
        var listed = Programs.Winreflink("get", area.Volume + ":/kept.txt", area.PathOf("kept.txt"));
        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        Assert.That(File.ReadAllText(area.PathOf("kept.txt")), Is.EqualTo("written through a background mount"));
    }

    [Test]
    public void AMountThatCannotStartReportsWhyAndLeavesNothingRunning()
    {
        using var area = TestArea.Create();
        string missing = area.PathOf("no-such-dir");
        var r = Programs.Winreflink("mount", "--background", area.Volume, missing);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("the mount did not start").And.Contain("does not exist"));
        Assert.That(MountTable.IsMounted(missing), Is.False);
    }

    /// <summary>
    /// --metadata-cache reaches the background mount's engine: with a 4 KiB budget, listing and
    /// reading 300 files drops inodes (stats counts them) and every file still reads back whole.
    /// </summary>
    [Test]
    public void MetadataCacheBudgetReachesTheBackgroundMount()
    {
        using var area = TestArea.Create();
        var started = Programs.Winreflink("mount", "--background", "--metadata-cache", "4KiB", area.Volume, area.MountPoint);
        Assert.That(started.ExitCode, Is.Zero, started.ToString());
        int pid = int.Parse(System.Text.RegularExpressions.Regex.Match(started.Stdout, @"process (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            for (int i = 0; i < 300; i++)
            {
                File.WriteAllText(Path.Combine(area.MountPoint, $"f{i:D3}"), $"file {i}");
            }
            // An fsync commits everything written so far: the new inodes are clean, so the budget can drop them.
            ProcessRunner.RunOk("sync", Path.Combine(area.MountPoint, "f299"));
            ProcessRunner.RunOk("sh", "-c", "echo 2 > /proc/sys/vm/drop_caches");
            var listing = ProcessRunner.RunOk("ls", "-l", area.MountPoint);
            Assert.That(listing.Stdout.Split('\n').Count(l => l.Contains(" f", StringComparison.Ordinal)), Is.EqualTo(300));
            for (int i = 0; i < 300; i++)
            {
                Assert.That(File.ReadAllText(Path.Combine(area.MountPoint, $"f{i:D3}")), Is.EqualTo($"file {i}"));
            }
            // The scans run on a pool thread after the commit and the loads: give them a moment.
            long budget = 0, dropped = 0;
            for (int attempt = 0; attempt < 50 && dropped == 0; attempt++)
            {
                var stats = Programs.Winreflink("stats", "--json", area.MountPoint);
                Assert.That(stats.ExitCode, Is.Zero, stats.ToString());
                using var doc = System.Text.Json.JsonDocument.Parse(stats.Stdout);
                budget = doc.RootElement.GetProperty("metadataBudgetBytes").GetInt64();
                dropped = doc.RootElement.GetProperty("droppedInodes").GetInt64();
                if (dropped == 0)
                {
                    Thread.Sleep(200);
                }
            }
            Assert.Multiple(() =>
            {
                Assert.That(budget, Is.EqualTo(4096));
                Assert.That(dropped, Is.GreaterThan(0), "a 4 KiB budget drops inodes");
            });
        }
        finally
        {
            ProcessRunner.Run("umount", area.MountPoint);
            WaitForExit(pid);
        }
        VolumeCheck.AssertClean(area.Volume);
    }

    private static void WaitForExit(int pid)
    {
        for (int i = 0; i < 600 && Directory.Exists($"/proc/{pid}"); i++)
        {
            Thread.Sleep(50);
        }
        Assert.That(Directory.Exists($"/proc/{pid}"), Is.False, $"the mount process {pid} did not end after umount");
    }
}
