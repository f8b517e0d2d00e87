using System.Text;
using WinReflink.Core;

namespace WinReflink.Wine.Tests;

/// <summary>
/// The real Windows build of the CLI under Wine: the engine commands through the Windows code paths
/// of the core (Windows paths, unbuffered I/O, the win-x64 SQLite) on Z:\ paths, checked from Linux;
/// volumes crossing between the two builds; bad input giving the same one-line errors.
/// </summary>
public class WindowsCliTests : WindowsCliFixture
{
    [Test]
    public void EngineCommandsOnWindowsPathsLeaveACleanVolumeWithTheBytesLinuxReads()
    {
        string vol = Win("v.wrl");
        var (_, data) = HostFile("a.bin", (3 << 20) + 4321, seed: 7);
        WindowsOk("format", vol, "--size", "256M", "--label", "wine");
        WindowsOk("mkdir", vol + @":\dir");
        WindowsOk("put", Win("a.bin"), vol + @":\dir\a.bin");
        WindowsOk("cp", "--reflink", vol + @":\dir\a.bin", vol + @":\dir\b.bin");

        var info = Json(WindowsOk("info", vol, "--json"));
        long rounded = (data.Length + 4095L) / 4096 * 4096;
        Assert.Multiple(() =>
        {
            Assert.That(info.GetProperty("files").GetInt64(), Is.EqualTo(2));
            Assert.That(info.GetProperty("sharedBytes").GetInt64(), Is.EqualTo(rounded), "the clone shares every block");
            Assert.That(info.GetProperty("savedBytes").GetInt64(), Is.EqualTo(rounded));
            Assert.That(info.GetProperty("label").GetString(), Is.EqualTo("wine"));
        });

        var extents = Json(WindowsOk("extents", vol + @":\dir\b.bin", "--json")).GetProperty("extents");
        Assert.That(extents.EnumerateArray().Select(e => e.GetProperty("shareCount").GetInt32()), Is.All.EqualTo(2));
        Assert.That(extents.EnumerateArray().Sum(e => e.GetProperty("length").GetInt64()), Is.EqualTo(rounded));

        WindowsOk("get", vol + @":\dir\b.bin", Win("b.out"));
        Assert.That(File.ReadAllBytes(Path.Combine(Temp, "b.out")), Is.EqualTo(data), "get under Windows, read on Linux");
        Assert.That(WindowsOk("check", vol), Does.Contain("clean"));

        using var fs = FileSystem.Open(Path.Combine(Temp, "v.wrl"), new OpenOptions { ReadOnly = true });
        Assert.That(fs.Check(), Is.Empty, "the Linux build finds the Windows-made volume clean");
        Assert.That(ReadAll(fs, "/dir/b.bin"), Is.EqualTo(data));
        Assert.That(ReadAll(fs, "/DIR/A.BIN"), Is.EqualTo(data), "case-insensitive names");
    }

    [Test]
    public void AVolumeMadeOnLinuxIsReadAndChangedUnderWindows()
    {
        string folder = Path.Combine(Temp, "linux.wrl");
        FileSystem.Format(folder, new FormatOptions { SizeBytes = 128L << 20, Label = "linux" });
        byte[] text = Encoding.UTF8.GetBytes("written by the Linux build\n");
        using (var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero }))
        {
            var owner = new CreateRequest(0x81A4 /* regular file 0644 */, 0, 0);
            Assert.That(fs.Create(FileSystem.RootIno, "Notes.txt", owner, out var created), Is.EqualTo(Core.Errors.FsError.Ok));
            Assert.That(fs.Write(created.Ino, 0, text, out int written), Is.EqualTo(Core.Errors.FsError.Ok));
            Assert.That(written, Is.EqualTo(text.Length));
        }

        string vol = Win("linux.wrl");
        var listing = Json(WindowsOk("ls", vol + @":\", "--json")).GetProperty("entries");
        Assert.That(listing.EnumerateArray().Single().GetProperty("name").GetString(), Is.EqualTo("Notes.txt"), "the stored spelling");
        WindowsOk("get", vol + @":\notes.TXT", Win("notes.out"));
        Assert.That(File.ReadAllBytes(Path.Combine(Temp, "notes.out")), Is.EqualTo(text));
        WindowsOk("cp", "--reflink", vol + @":\Notes.txt", vol + @":\Copy.txt");
        Assert.That(WindowsOk("check", vol), Does.Contain("clean"));

        using var again = FileSystem.Open(folder, new OpenOptions { ReadOnly = true });
        Assert.That(again.Check(), Is.Empty);
        Assert.That(ReadAll(again, "/Copy.txt"), Is.EqualTo(text), "the clone made under Windows reads back on Linux");
    }

    [Test]
    public void BadInputUnderWindowsIsOneLineAndAnExitCode()
    {
        string vol = Win("v.wrl");
        WindowsOk("format", vol, "--size", "64M");
        Directory.CreateDirectory(Path.Combine(Temp, "plain"));
        AssertOneLineError(Windows("info", Win("plain")), 1, "is not a WinReflink volume");
        AssertOneLineError(Windows("info", Win("nope.wrl")), 1, "does not exist");
        AssertOneLineError(Windows("get", vol + @":\missing.bin", Win("m.out")), 1, "no such file or directory");
        AssertOneLineError(Windows("put", Win("nothere.bin"), vol + @":\x"), 1, "nothere.bin");
        AssertOneLineError(Windows("format", Win("w.wrl"), "--size", "12Q"), 2, "--size");
        Assert.That(File.Exists(Path.Combine(Temp, "m.out")), Is.False, "a failed get leaves no file");
        Assert.That(WindowsOk("check", vol), Does.Contain("clean"), "nothing was changed");
    }

    [Test]
    public void MountWithoutWinFspSaysWhereToGetIt()
    {
        string vol = Win("v.wrl");
        WindowsOk("format", vol, "--size", "64M");
        // This prefix has neither winfsp-x64.dll nor HKLM\SOFTWARE\WinFsp InstallDir (reference 1.1).
        var r = Windows("mount", vol, "R:");
        AssertOneLineError(r, 1, "WinFsp is not installed");
        Assert.That(r.Stderr, Does.Contain("https://winfsp.dev/rel/"));
        Assert.That(WindowsOk("check", vol), Does.Contain("clean"));
    }

    [Test]
    public void ListAsksEveryDriveAndWithNoneMountedPrintsAnEmptyArray()
    {
        // C: and Z: are fixed drives here: both are opened and asked for Info, and neither is a WinReflink volume.
        Assert.That(WindowsOk("list", "--json").Trim(), Is.EqualTo("[]"));
        var table = Windows("list");
        Assert.That(table.ExitCode, Is.Zero, table.ToString());
        Assert.That(table.Stdout, Is.Empty, table.ToString());
        Assert.That(table.Stderr, Is.Empty, table.ToString());
    }

    [TestCase("C:")]
    [TestCase("z")]
    public void MountOnADriveLetterInUseIsRefused(string drive)
    {
        string vol = Win("v.wrl");
        WindowsOk("format", vol, "--size", "64M");
        AssertOneLineError(Windows("mount", vol, drive), 1, "already in use");
    }

    private static byte[] ReadAll(FileSystem fs, string path)
    {
        Assert.That(fs.Resolve(path, out var attributes), Is.EqualTo(Core.Errors.FsError.Ok), path);
        var buffer = new byte[attributes.Size];
        Assert.That(fs.Read(attributes.Ino, 0, buffer, out int read), Is.EqualTo(Core.Errors.FsError.Ok));
        Assert.That(read, Is.EqualTo(buffer.Length));
        return buffer;
    }
}
