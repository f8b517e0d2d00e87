using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Errors;

/// <summary>`winreflink mount` and `unmount` refuse bad input with exit code 1 and one clear line, and mount nothing.</summary>
public sealed class MountErrorTests
{
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

    private static void AssertRefused(ProcessResult r, string expected, int code = 1)
    {
        Assert.That(r.ExitCode, Is.EqualTo(code), r.ToString());
        Assert.That(r.Stderr, Does.Contain(expected), r.ToString());
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line: " + r.Stderr);
        Assert.That(r.Stdout, Does.Not.Contain("mounted "), r.ToString());
    }

    [Test]
    public void MissingMountpointIsRefused()
    {
        string missing = Area.PathOf("missing");
        AssertRefused(MountProcess.RunExpectingFailure(Area.Volume, missing), $"mountpoint {missing} does not exist");
        Assert.That(Directory.Exists(missing), Is.False, "the mount did not create it");
    }

    [Test]
    public void MountpointThatIsAFileIsRefused()
    {
        string file = Area.PathOf("file");
        File.WriteAllText(file, "not a directory");
        AssertRefused(MountProcess.RunExpectingFailure(Area.Volume, file), "is not a directory");
        Assert.That(MountTable.IsMounted(file), Is.False);
    }

    [Test]
    public void NonEmptyMountpointIsRefused()
    {
        File.WriteAllText(Path.Combine(Area.MountPoint, "occupant"), "x");
        AssertRefused(MountProcess.RunExpectingFailure(Area.Volume, Area.MountPoint), "is not empty");
        Assert.That(MountTable.IsMounted(Area.MountPoint), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(Area.MountPoint, "occupant")), Is.EqualTo("x"));
    }

    [Test]
    public void FolderThatIsNotAVolumeIsRefused()
    {
        string notAVolume = Area.PathOf("plain-folder");
        Directory.CreateDirectory(notAVolume);
        File.WriteAllText(Path.Combine(notAVolume, "unrelated.txt"), "keep me");
        AssertRefused(MountProcess.RunExpectingFailure(notAVolume, Area.MountPoint), "is not a WinReflink volume");
        Assert.That(MountTable.IsMounted(Area.MountPoint), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(notAVolume, "unrelated.txt")), Is.EqualTo("keep me"), "the folder's content is left alone");
    }

    [Test]
    public void MissingDevFuseIsRefusedNamingIt()
    {
        // A mount namespace whose /dev is an empty tmpfs: no /dev/fuse in it.
        string script = $"mount -t tmpfs tmpfs /dev && exec '{Programs.DotnetHost}' '{Programs.Dll}' mount '{Area.Volume}' '{Area.MountPoint}'";
        var r = ProcessRunner.Run("unshare", ["--mount", "--fork", "sh", "-c", script], TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("/dev/fuse"), r.ToString());
        Assert.That(r.Stdout, Does.Not.Contain("mounted "), r.ToString());
        Assert.That(MountTable.IsMounted(Area.MountPoint), Is.False);
    }

    [Test]
    public void UnmountOfSomethingNotMountedIsRefused()
    {
        AssertRefused(Programs.Winreflink("unmount", Area.MountPoint), $"{Area.MountPoint} is not mounted");
        AssertRefused(Programs.Winreflink("unmount", Area.PathOf("missing")), "is not mounted");
        AssertRefused(Programs.Winreflink("unmount", "/proc"), "not a WinReflink volume");
        Assert.That(MountTable.TypeAt("/proc"), Is.EqualTo("proc"), "/proc is left mounted");
    }

    [Test]
    public void BadArgumentsPrintUsageAndExit2()
    {
        var none = Programs.Winreflink("mount");
        Assert.That(none.ExitCode, Is.EqualTo(2), none.ToString());
        Assert.That(none.Stderr, Does.Contain("winreflink mount --help"));
        Assert.That(none.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
        var threads = Programs.Winreflink("mount", Area.Volume, Area.MountPoint, "--threads", "0");
        Assert.That(threads.ExitCode, Is.EqualTo(2), threads.ToString());
        Assert.That(threads.Stderr, Does.Contain("--threads"));
        var unknown = Programs.Winreflink("unmount", Area.MountPoint, "--force");
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Stderr, Does.Contain("--force").And.Contain("winreflink unmount --help"));
        Assert.That(Directory.Exists(Area.Volume), Is.False, "bad arguments format nothing");
    }
}
