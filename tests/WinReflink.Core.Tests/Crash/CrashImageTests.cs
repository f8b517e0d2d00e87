namespace WinReflink.Core.Tests.Crash;

/// <summary>The crash store itself: what each policy leaves of unflushed writes.</summary>
public class CrashImageTests
{
    private static byte[] Block(byte value) => Enumerable.Repeat(value, 4096).ToArray();

    private static byte[] ReadBlock(CrashImage image, long block)
    {
        var b = new byte[4096];
        image.Read(block, b);
        return b;
    }

    [Test]
    public void ReadsSeeUnflushedWritesAndFlushMakesThemDurable()
    {
        var image = new CrashImage(4096, 64);
        image.Write(3, Block(1));
        Assert.That(ReadBlock(image, 3), Is.EqualTo(Block(1)));
        image.Flush();
        image.Write(3, Block(2));
        image.Crash(new Random(1), CrashPolicy.DropPending);
        Assert.That(ReadBlock(image, 3), Is.EqualTo(Block(1)));
        Assert.That(ReadBlock(image, 4), Is.EqualTo(Block(0)));
    }

    [Test]
    public void KeepAppliesTheNewestVersion()
    {
        var image = new CrashImage(4096, 64);
        image.Write(3, Block(1));
        image.Write(3, Block(2));
        image.Crash(new Random(1), CrashPolicy.KeepPending);
        Assert.That(ReadBlock(image, 3), Is.EqualTo(Block(2)));
        Assert.That(image.PendingBlocks, Is.Zero);
    }

    [Test]
    public void TornLeavesEachBlockInOneOfItsStates()
    {
        var image = new CrashImage(4096, 64);
        for (long b = 0; b < 64; b++)
        {
            image.Write(b, Block(1));
            image.Write(b, Block(2));
        }
        image.Crash(new Random(7), CrashPolicy.TornPending);
        var seen = Enumerable.Range(0, 64).Select(b => ReadBlock(image, b)[0]).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(new byte[] { 0, 1, 2 }));
        Assert.That(Enumerable.Range(0, 64).All(b => ReadBlock(image, b).All(x => x == ReadBlock(image, b)[0])), Is.True, "a block was torn inside itself");
    }
}
