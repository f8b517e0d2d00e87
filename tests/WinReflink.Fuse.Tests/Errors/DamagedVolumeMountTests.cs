using Microsoft.Data.Sqlite;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Errors;

/// <summary>
/// A volume found damaged at mount is served read-only and the mount says so: `ro` in the kernel's
/// mount table (so writes get EROFS from the kernel), the reason on stderr, its files readable.
/// </summary>
public sealed class DamagedVolumeMountTests
{
    private const int ERoFs = 30;
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
    public void ADamagedVolumeIsMountedReadOnlyWithTheReason()
    {
        string content = "kept through the damage\n";
        string source = Area.PathOf("source.txt");
        File.WriteAllText(source, content);
        Assert.That(Programs.Winreflink("format", Area.Volume).ExitCode, Is.Zero);
        var put = Programs.Winreflink("put", source, Area.Volume + ":/file.txt");
        Assert.That(put.ExitCode, Is.Zero, put.ToString());

        // A link count that no longer matches its row checksum: open validation finds it.
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(Area.Volume, "meta.db"), Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE inodes SET nlink = nlink + 3 WHERE ino = (SELECT ino FROM dirents WHERE name = 'file.txt')";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }

        using var mount = MountProcess.Start(Area.Volume, Area.MountPoint);
        Assert.That(MountOptions(Area.MountPoint), Has.Member("ro"), "the kernel mount is read-only");
        Assert.That(mount.Stderr, Does.Contain("read-only").And.Contain("damaged"), "the mount says why");
        Assert.That(File.ReadAllText(Path.Combine(Area.MountPoint, "file.txt")), Is.EqualTo(content), "files stay readable");
        Assert.That(Libc.TryOpen(Path.Combine(Area.MountPoint, "new.txt"), Libc.OCreat | Libc.OWrOnly, out _), Is.EqualTo(ERoFs), "creating a file");
        Assert.That(Libc.TryOpen(Path.Combine(Area.MountPoint, "file.txt"), Libc.OWrOnly, out _), Is.EqualTo(ERoFs), "opening a file for writing");
        mount.Unmount();
    }
}
