namespace WinReflink.Cli.Tests;

/// <summary>
/// `winreflink list` on real FUSE mounts: every mount started with `mount --background` is listed with
/// the figures its control channel gives, and is gone from the list once unmounted. Other mounts of this
/// machine may be listed too, so the assertions pick ours by mount point.
/// </summary>
public class ListTests : CliFixture
{
    private readonly List<string> _mounted = [];

    [TearDown]
    public void UnmountLeftovers()
    {
        foreach (string point in _mounted)
        {
            Cli.Run("unmount", point);
        }
    }

    [Test]
    public void ListsEveryMountWithItsFiguresAndForgetsItOnceUnmounted()
    {
        string first = Mount("first.wrl", "first", "--label", "one");
        string second = Mount("second.wrl", "second", "--label", "two");
        var data = new byte[3 << 20];
        new Random(5).NextBytes(data);
        File.WriteAllBytes(Path.Combine(first, "a.bin"), data);
        Directory.CreateDirectory(Path.Combine(second, "d"));

        var listed = Json(Cli.Ok("list", "--json")).EnumerateArray().ToDictionary(e => e.GetProperty("mountPoint").GetString()!);
        Assert.That(listed.Keys, Does.Contain(first).And.Contain(second));
        var one = listed[first];
        var two = listed[second];
        Assert.Multiple(() =>
        {
            Assert.That(one.GetProperty("volume").GetString(), Is.EqualTo(Path.Combine(Temp, "first.wrl")));
            Assert.That(one.GetProperty("label").GetString(), Is.EqualTo("one"));
            Assert.That(one.GetProperty("capacityBytes").GetInt64(), Is.EqualTo(64L << 20));
            Assert.That(one.GetProperty("files").GetInt64(), Is.EqualTo(1));
            Assert.That(one.GetProperty("usedBytes").GetInt64(), Is.EqualTo(data.Length), "the written file, block-aligned");
            Assert.That(two.GetProperty("label").GetString(), Is.EqualTo("two"));
            Assert.That(two.GetProperty("files").GetInt64(), Is.Zero);
            Assert.That(two.GetProperty("directories").GetInt64(), Is.EqualTo(2), "the root and d");
        });

        string table = Cli.Ok("list");
        Assert.That(table.Split('\n')[0], Does.StartWith("MOUNTPOINT"));
        Assert.That(table, Does.Contain(first).And.Contain(second).And.Contain("one").And.Contain("two"));

        Cli.Ok("unmount", first);
        _mounted.Remove(first);
        var after = Json(Cli.Ok("list", "--json")).EnumerateArray().Select(e => e.GetProperty("mountPoint").GetString()).ToList();
        Assert.That(after, Does.Not.Contain(first).And.Contain(second));
    }

    [Test]
    public void ListTakesNoArgument() => Assert.That(Cli.Run("list", Temp).ExitCode, Is.EqualTo(2));

    private string Mount(string volume, string directory, params string[] formatOptions)
    {
        string folder = Path.Combine(Temp, volume);
        string point = Path.Combine(Temp, directory);
        Directory.CreateDirectory(point);
        Cli.Ok(["format", folder, "--size", "64M", .. formatOptions]);
        Cli.Ok("mount", folder, point, "--background");
        _mounted.Add(point);
        return point;
    }
}
