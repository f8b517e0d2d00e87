namespace WinReflink.Cli.Tests;

/// <summary>put and get: host bytes in and out, overwrite, holes, progress.</summary>
public class CopyInOutTests : CliFixture
{
    [Test]
    public void PutThenGetGivesTheSameBytes()
    {
        FormatVolume();
        var (host, data) = HostFile("random.bin", (5 << 20) + 12345);
        Cli.Ok("put", host, At("/random.bin"));
        string back = Path.Combine(Temp, "back.bin");
        Cli.Ok("get", At("/random.bin"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
        var entries = Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries");
        Assert.That(entries.GetArrayLength(), Is.EqualTo(1));
        Assert.That(entries[0].GetProperty("name").GetString(), Is.EqualTo("random.bin"));
        Assert.That(entries[0].GetProperty("size").GetInt64(), Is.EqualTo(data.Length));
    }

    [Test]
    public void PutOverwritesAndTruncatesAnExistingFile()
    {
        FormatVolume();
        var (big, _) = HostFile("big.bin", 3 << 20, seed: 1);
        var (small, smallData) = HostFile("small.bin", 70_000, seed: 2);
        Cli.Ok("put", big, At("/f"));
        Cli.Ok("put", small, At("/f"));
        string back = Path.Combine(Temp, "back.bin");
        Cli.Ok("get", At("/f"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(smallData));
    }

    [Test]
    public void PutIntoADirectoryKeepsTheHostName()
    {
        FormatVolume();
        var (host, data) = HostFile("named.bin", 10_000);
        Cli.Ok("mkdir", At("/dir"));
        Cli.Ok("put", host, At("/dir"));
        string outDir = Path.Combine(Temp, "out");
        Directory.CreateDirectory(outDir);
        Cli.Ok("get", At("/dir/named.bin"), outDir);
        Assert.That(File.ReadAllBytes(Path.Combine(outDir, "named.bin")), Is.EqualTo(data));
    }

    [Test]
    public void BackslashSeparatesComponentsAsSlashDoes()
    {
        FormatVolume();
        var (host, data) = HostFile("a.bin", 5000);
        Cli.Ok("mkdir", At("\\dir"));
        Cli.Ok("put", host, At("\\dir\\a.bin"));
        string back = Path.Combine(Temp, "back.bin");
        Cli.Ok("get", At("/dir/a.bin"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
        var names = Json(Cli.Ok("ls", At("/"), "--json")).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString());
        Assert.That(names.Single(), Is.EqualTo("dir"), "one directory, not a name holding a backslash");
    }

    [Test]
    public void ZeroChunksStayHolesInAndOut()
    {
        FormatVolume();
        const int MiB = 1 << 20;
        var data = new byte[9 * MiB + 100];
        new Random(3).NextBytes(data.AsSpan(0, MiB));
        new Random(4).NextBytes(data.AsSpan(8 * MiB));
        string host = Path.Combine(Temp, "sparse.bin");
        File.WriteAllBytes(host, data);
        Cli.Ok("put", host, At("/sparse.bin"));

        var extents = Json(Cli.Ok("extents", At("/sparse.bin"), "--json")).GetProperty("extents");
        long mapped = extents.EnumerateArray().Sum(e => e.GetProperty("length").GetInt64());
        Assert.That(mapped, Is.LessThanOrEqualTo(2 * MiB + 4096), "the seven zero MiB in the middle are a hole");

        string back = Path.Combine(Temp, "back.bin");
        Cli.Ok("get", At("/sparse.bin"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
        if (OperatingSystem.IsLinux())
        {
            Assert.That(AllocatedBytes(back), Is.LessThan(4L * MiB), "get leaves the hole a hole on the host");
        }
    }

    [Test]
    public void TrailingHoleSetsTheSizeAndDevicesWork()
    {
        FormatVolume();
        var data = new byte[(3 << 20) + 5];
        new Random(5).NextBytes(data.AsSpan(0, 1000));
        string host = Path.Combine(Temp, "tail.bin");
        File.WriteAllBytes(host, data);
        Cli.Ok("put", host, At("/tail.bin"));
        string back = Path.Combine(Temp, "tail.out");
        Cli.Ok("get", At("/tail.bin"), back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
        if (OperatingSystem.IsLinux())
        {
            Cli.Ok("get", At("/tail.bin"), "/dev/null");
        }
    }

    [Test]
    public void ProgressOnRequestReportsPercentAndRate()
    {
        FormatVolume();
        var (host, _) = HostFile("p.bin", 2 << 20);
        var r = Cli.Run("put", "--progress", host, At("/p.bin"));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stderr, Does.Contain("100.0%").And.Contain("MiB/s"));
    }

    [Test]
    public void StdinAndStdoutWorkAsHostFiles()
    {
        FormatVolume();
        var (host, data) = HostFile("in.bin", 300_000);
        var put = RunShell($"'{Cli.DotnetHost()}' '{Cli.DllPath}' put - '{At("/piped")}' < '{host}'");
        Assert.That(put, Is.Zero);
        string back = Path.Combine(Temp, "piped.out");
        var get = RunShell($"'{Cli.DotnetHost()}' '{Cli.DllPath}' get '{At("/piped")}' - > '{back}'");
        Assert.That(get, Is.Zero);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
    }

    private static int RunShell(string command)
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "uses sh for redirection");
        using var p = System.Diagnostics.Process.Start("sh", ["-c", command])!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private static long AllocatedBytes(string path)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        string[] parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
