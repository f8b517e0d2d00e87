namespace WinReflink.Cli.Tests;

/// <summary>cp: reflinks share blocks (info and extents show it), --reflink=never copies bytes.</summary>
public class CloneTests : CliFixture
{
    private const int BlockSize = 4096;

    [TestCase("--reflink")]
    [TestCase("--reflink=always")]
    [TestCase("--reflink=auto")]
    [TestCase(null)]
    public void CpClonesWithoutUsingSpace(string? flag)
    {
        FormatVolume();
        var (host, data) = HostFile("a.bin", (4 << 20) + 1234);
        Cli.Ok("put", host, At("/a"));
        var before = Json(Cli.Ok("info", Volume, "--json"));

        string[] args = flag == null ? ["cp", At("/a"), At("/b")] : ["cp", flag, At("/a"), At("/b")];
        Cli.Ok(args);

        var after = Json(Cli.Ok("info", Volume, "--json"));
        long rounded = (data.Length + BlockSize - 1) / BlockSize * BlockSize;
        Assert.That(after.GetProperty("sharedBytes").GetInt64(), Is.EqualTo(rounded));
        Assert.That(after.GetProperty("savedBytes").GetInt64(), Is.EqualTo(rounded));
        long grew = after.GetProperty("usedBytes").GetInt64() - before.GetProperty("usedBytes").GetInt64();
        Assert.That(grew, Is.LessThan(1 << 20));
        Assert.That(after.GetProperty("files").GetInt64(), Is.EqualTo(2));

        var extents = Json(Cli.Ok("extents", At("/b"), "--json")).GetProperty("extents");
        Assert.That(extents.GetArrayLength(), Is.GreaterThan(0));
        foreach (var e in extents.EnumerateArray())
        {
            Assert.That(e.GetProperty("shareCount").GetInt32(), Is.EqualTo(2), e.ToString());
            Assert.That(e.GetProperty("unwritten").GetBoolean(), Is.False);
        }
        Assert.That(extents.EnumerateArray().Sum(e => e.GetProperty("length").GetInt64()), Is.EqualTo(rounded));

        string back = Path.Combine(Temp, "b.out");
        Cli.Ok("get", At("/b"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
    }

    [Test]
    public void CpReflinkNeverCopiesBytes()
    {
        FormatVolume();
        var (host, data) = HostFile("a.bin", 3 << 20);
        Cli.Ok("put", host, At("/a"));
        long usedBefore = Json(Cli.Ok("info", Volume, "--json")).GetProperty("usedBytes").GetInt64();

        Cli.Ok("cp", "--reflink=never", At("/a"), At("/b"));

        var info = Json(Cli.Ok("info", Volume, "--json"));
        Assert.That(info.GetProperty("sharedBytes").GetInt64(), Is.Zero);
        Assert.That(info.GetProperty("usedBytes").GetInt64() - usedBefore, Is.EqualTo(data.Length));
        var extents = Json(Cli.Ok("extents", At("/b"), "--json")).GetProperty("extents");
        Assert.That(extents.EnumerateArray().Select(e => e.GetProperty("shareCount").GetInt32()), Is.All.EqualTo(1));
        string back = Path.Combine(Temp, "b.out");
        Cli.Ok("get", At("/b"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
    }

    [Test]
    public void CpOverAnExistingFileReplacesItAndFreesItsBlocks()
    {
        FormatVolume();
        var (a, aData) = HostFile("a.bin", 2 << 20, seed: 1);
        var (b, _) = HostFile("b.bin", 5 << 20, seed: 2);
        Cli.Ok("put", a, At("/a"));
        Cli.Ok("put", b, At("/b"));
        Cli.Ok("cp", At("/a"), At("/b"));
        var info = Json(Cli.Ok("info", Volume, "--json"));
        Assert.That(info.GetProperty("usedBytes").GetInt64(), Is.EqualTo(aData.Length), "b's old 5 MiB are free again");
        Assert.That(Cli.Run("check", Volume).ExitCode, Is.Zero);
    }

    [Test]
    public void CpAcrossVolumesCopiesBytesOnlyWhenAllowed()
    {
        FormatVolume();
        string other = Path.Combine(Temp, "other.wrl");
        Cli.Ok("format", other, "--size", "64M");
        var (host, data) = HostFile("a.bin", 1 << 20);
        Cli.Ok("put", host, At("/a"));

        AssertOneLineError(Cli.Run("cp", "--reflink", At("/a"), other + ":/a"), 1, "different volumes");

        Cli.Ok("cp", "--reflink=auto", At("/a"), other + ":/a");
        string back = Path.Combine(Temp, "a.out");
        Cli.Ok("get", other + ":/a", back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
    }
}
