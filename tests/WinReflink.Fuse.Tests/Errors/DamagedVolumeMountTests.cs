using Microsoft.Data.Sqlite;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Errors;

/// <summary>
/// A damaged volume through the mount. Open reads no inode row (issue 11), so damage in one is found
/// when the inode is first touched: that call fails with EFSCORRUPTED, the volume stops taking changes (EROFS)
/// and the log names the row, while the other files stay readable. A volume found damaged at mount
/// (a repair's open, or damage in the rows open reads) is mounted read-only: `ro` in the kernel's
/// mount table.
/// </summary>
public sealed class DamagedVolumeMountTests
{
    private const int ERoFs = 30;
    /// <summary>EUCLEAN, which XFS and ext4 answer as EFSCORRUPTED.</summary>
    private const int EFsCorrupted = 117;
    private TestArea? _area;

    private TestArea Area => _area ?? throw new InvalidOperationException("no test area");

    [SetUp]
    public void CreateArea() => _area = TestArea.Create();

    [TearDown]
    public void RemoveArea()
    {
        _area?.Dispose();
        _area = null;
    }

    /// <summary>The mount options of the mount at <paramref name="mountPoint"/> in /proc/self/mountinfo (per-mount and superblock).</summary>
    private static string[] MountOptions(string mountPoint)
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (f.Length > 5 && f[4] == mountPoint && dash > 0 && dash + 3 < f.Length)
            {
                return [.. f[5].Split(','), .. f[dash + 3].Split(',')];
            }
        }
        Assert.Fail($"{mountPoint} is not in /proc/self/mountinfo");
        return [];
    }

    [Test]
    public void ADamagedRowStopsTheVolumeWhenItsFileIsFirstTouched()
    {
        string content = "kept through the damage\n";
        string source = Area.PathOf("source.txt");
        File.WriteAllText(source, content);
        Assert.That(Programs.Winreflink("format", Area.Volume).ExitCode, Is.Zero);
        foreach (string name in new[] { "file.txt", "other.txt" })
        {
            var put = Programs.Winreflink("put", source, Area.Volume + ":/" + name);
            Assert.That(put.ExitCode, Is.Zero, put.ToString());
        }

        // A link count that no longer matches its row checksum.
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(Area.Volume, "meta.db"), Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE inodes SET nlink = nlink + 3 WHERE ino = (SELECT ino FROM dirents WHERE name = 'file.txt')";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }

        using var mount = MountProcess.Start(Area.Volume, Area.MountPoint);
        Assert.That(File.ReadAllText(Path.Combine(Area.MountPoint, "other.txt")), Is.EqualTo(content), "an undamaged file reads");
        Assert.That(Libc.TryOpen(Path.Combine(Area.MountPoint, "file.txt"), Libc.ORdOnly, out _), Is.EqualTo(EFsCorrupted), "the damaged inode answers EFSCORRUPTED (EUCLEAN), as XFS does");
        Assert.That(Libc.TryOpen(Path.Combine(Area.MountPoint, "new.txt"), Libc.OCreat | Libc.OWrOnly, out _), Is.EqualTo(ERoFs), "creating a file after the damage was found");
        Assert.That(File.ReadAllText(Path.Combine(Area.MountPoint, "other.txt")), Is.EqualTo(content), "undamaged files stay readable");
        Assert.That(Programs.Winreflink("unmount", Area.MountPoint).ExitCode, Is.Zero);
        Assert.That(mount.WaitForExitCode(), Is.EqualTo(1), "the mount process says the volume failed while mounted");
        Assert.That(mount.Stderr, Does.Contain("corrupt").And.Contain("checksum").And.Contain("inodes row"), "the log names the damaged row");
    }

    [Test]
    public void AVolumeFoundDamagedAtMountIsMountedReadOnlyWithTheReason()
    {
        Assert.That(Programs.Winreflink("format", Area.Volume).ExitCode, Is.Zero);
        string source = Area.PathOf("source.txt");
        File.WriteAllText(source, "readable\n");
        Assert.That(Programs.Winreflink("put", source, Area.Volume + ":/file.txt").ExitCode, Is.Zero);

        // An orphan record of an inode that does not exist: open reads the orphan list, so it sees this.
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(Area.Volume, "meta.db"), Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "INSERT INTO orphans(ino, crc) VALUES (987654, 0)";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }

        using var mount = MountProcess.Start(Area.Volume, Area.MountPoint);
        Assert.That(MountOptions(Area.MountPoint), Has.Member("ro"), "the kernel mount is read-only");
        Assert.That(mount.Stderr, Does.Contain("read-only").And.Contain("damaged"), "the mount says why");
        Assert.That(File.ReadAllText(Path.Combine(Area.MountPoint, "file.txt")), Is.EqualTo("readable\n"), "files stay readable");
        Assert.That(Libc.TryOpen(Path.Combine(Area.MountPoint, "new.txt"), Libc.OCreat | Libc.OWrOnly, out _), Is.EqualTo(ERoFs), "creating a file");
        mount.Unmount();
    }
}
