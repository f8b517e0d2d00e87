using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Space;

/// <summary>
/// st_blocks and `du` on a fresh mount come from the inode rows (format version 6), not from extent
/// maps loaded with the inodes: after writes, a sparse file, a reflink copy changed in part, fallocate
/// past the end and a punched hole, a mount whose metadata budget drops every clean inode reports the
/// same st_blocks and `du` totals as the mount that made them, and the data reads back.
/// </summary>
public sealed class AllocatedBlocksAfterRemountTests : MountedTest
{
    private const long MiB = 1L << 20;
    private static readonly string[] Names = ["a", "sparse", "copy"];

    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);

    private Dictionary<string, long> AllocatedBytes() => Names.ToDictionary(n => n, n => Libc.Stat(P(Path.Combine("d", n))).AllocatedBytes);

    private long Du() => long.Parse(ProcessRunner.RunOk("du", "-s", "-B1", P("d")).Stdout.Split('\t')[0], CultureInfo.InvariantCulture);

    [Test]
    public void StatAndDuOnAFreshMountMatchWhatTheChangesLeft()
    {
        Directory.CreateDirectory(P("d"));
        var data = new byte[6 * MiB];
        new Random(5).NextBytes(data);
        File.WriteAllBytes(P("d/a"), data);
        using (var sparse = new FileStream(P("d/sparse"), FileMode.Create))
        {
            sparse.Write(data.AsSpan(0, 4096));
            sparse.Position = 10 * MiB;
            sparse.Write(data.AsSpan(4096, 8192));
        }
        // FUSE forwards no FICLONE: cp makes the reflink through copy_file_range.
        ProcessRunner.RunOk("cp", P("d/a"), P("d/copy"));
        Assert.That(ControlChannel.Extents(P("d/copy")).Select(e => e.ShareCount), Is.All.GreaterThanOrEqualTo(2), "the copy is a reflink (the sparse file, a recognized copy of a's first blocks, shares some too)");
        using (var copy = new FileStream(P("d/copy"), FileMode.Open))
        {
            copy.Position = 2 * MiB;
            copy.Write(new byte[MiB]);
        }
        ProcessRunner.RunOk("fallocate", "-n", "-o", Inv(6 * MiB), "-l", Inv(2 * MiB), P("d/a"));
        ProcessRunner.RunOk("fallocate", "-p", "-o", Inv(MiB), "-l", Inv(MiB), P("d/a"));
        ProcessRunner.RunOk("sync");
        var before = AllocatedBytes();
        long du = Du();
        Assert.That(before, Is.EqualTo(new Dictionary<string, long> { ["a"] = 7 * MiB, ["sparse"] = 3 * 4096, ["copy"] = 6 * MiB }),
            "6 MiB written, 1 MiB punched, 2 MiB fallocated past the end; 3 blocks of the sparse file; the copy keeps 6 MiB");

        Remount("--metadata-cache", "1");
        Assert.That(AllocatedBytes(), Is.EqualTo(before), "st_blocks on a fresh mount, before any data is read");
        Assert.That(Du(), Is.EqualTo(du), "du on a fresh mount");
        var expected = (byte[])data.Clone();
        Array.Clear(expected, (int)MiB, (int)MiB);
        Assert.That(File.ReadAllBytes(P("d/a")), Is.EqualTo(expected), "a reads back with its hole");
        Array.Copy(data, expected, data.Length);
        Array.Clear(expected, (int)(2 * MiB), (int)MiB);
        Assert.That(File.ReadAllBytes(P("d/copy")), Is.EqualTo(expected), "the copy reads back with its change");
        Assert.That(AllocatedBytes(), Is.EqualTo(before), "reading loads the maps and changes nothing");
    }
}
