using System.Text.Json;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Recognition;

/// <summary>
/// The figures copy recognition moves, from one Info ioctl: the volume's used and shared bytes, and
/// the cache's recognition counters (blocks a write shared instead of writing since the mount, and
/// the bytes of writes that avoided).
/// </summary>
internal sealed record RecognitionFigures(long UsedBytes, long SharedBytes, long RecognizedBlocks, long RecognizedBytes, long IndexedBlocks, long IndexBytes)
{
    public static RecognitionFigures Of(VolumeFigures info)
    {
        var cache = info.Raw.GetProperty("cache");
        return new RecognitionFigures(info.UsedBytes, info.SharedBytes,
            Counter(cache, "recognizedBlocks"), Counter(cache, "recognizedBytes"), Counter(cache, "indexedBlocks"), Counter(cache, "indexBytes"));
    }

    /// <summary>The figures of `winreflink stats --json MOUNTPOINT`, the CLI's view of the same counters.</summary>
    public static JsonElement StatsJson(string mountPoint)
    {
        var r = Programs.Winreflink("stats", "--json", mountPoint);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    public static long Counter(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            Assert.Fail($"the figures have no {name} (issue 10 adds it): {obj}");
        }
        return value.GetInt64();
    }
}
