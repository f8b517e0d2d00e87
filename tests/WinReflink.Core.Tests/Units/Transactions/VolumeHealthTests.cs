using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Units.Storage;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Tests.Units.Transactions;

public class VolumeHealthTests
{
    [Test]
    public void TheFirstFailureStaysAndIsLoggedOnce()
    {
        var logger = new RecordingLogger();
        int stops = 0;
        var health = new VolumeHealth(logger, "/vol", () => stops++);
        Assert.That(health.Failed, Is.False);
        health.Fail("the first", null);
        health.Fail("the second", null);
        Assert.That(health.Failure, Is.EqualTo("the first"));
        Assert.That(stops, Is.EqualTo(1), "the background writers were stopped, once");
        Assert.That(logger.Entries.Count(e => e.Level == LogLevel.Critical), Is.EqualTo(1));
        Assert.That(logger.Entries.Single().Message, Does.Contain("/vol").And.Contain("the first"));
    }

    [Test]
    public void CorruptionNamesTheInodeAndTheBlock()
    {
        var health = new VolumeHealth(new RecordingLogger(), "/vol", () => { });
        Assert.That(health.Corrupt("a mapped extent overlaps free space", 42, 7), Is.EqualTo(FsError.Corrupt));
        Assert.That(health.Failure, Does.Contain("a mapped extent overlaps free space").And.Contain("inode 42").And.Contain("block 7"));
    }

    [Test]
    public void AFaultStopsTheVolumeButOutOfMemoryIsLeftToTheRuntime()
    {
        var health = new VolumeHealth(new RecordingLogger(), "/vol", () => { });
        Assert.That(health.Fault(new OutOfMemoryException(), "write"), Is.False, "the exception filter lets it pass");
        Assert.That(health.Failed, Is.False);
        Assert.That(health.Fault(new CorruptionException("two owners", 3, 9), "clone"), Is.True);
        Assert.That(health.Failure, Does.StartWith("corruption found during clone: two owners (inode 3, block 9)"));
    }

    [Test]
    public void AnotherExceptionIsNamedByTypeAndOperation()
    {
        var health = new VolumeHealth(new RecordingLogger(), "/vol", () => { });
        Assert.That(health.Fault(new IOException("disk gone"), "a commit"), Is.True);
        Assert.That(health.Failure, Is.EqualTo("a commit failed: IOException: disk gone"));
    }
}
