using WinReflink.Core;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>Opens a volume no process holds any more and asserts every invariant of the design notes.</summary>
internal static class VolumeCheck
{
    public static void AssertClean(string volume)
    {
        using var fs = FileSystem.Open(volume, new OpenOptions { CacheSizeBytes = 64L << 20 });
        var violations = fs.Check();
        Assert.That(violations, Is.Empty, $"check of {volume} found {violations.Count} violation(s):\n" + string.Join('\n', violations.Take(20)));
    }
}
