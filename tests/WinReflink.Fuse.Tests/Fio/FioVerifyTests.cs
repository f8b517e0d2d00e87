using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Fio;

/// <summary>fio with crc32c verification through the mount: every block read back must be the block written.</summary>
public sealed class FioVerifyTests : MountedTest
{
    [Test]
    public void RandomWritesVerify()
    {
        var r = RunFio("--name=v", $"--filename={P("f")}", "--size=256m", "--rw=randwrite", "--bs=4k", "--verify=crc32c",
            "--direct=1", "--ioengine=psync");
        AssertClean(r);
        Assert.That(Libc.Stat(P("f")).Size, Is.EqualTo(256L << 20));
    }

    [Test]
    public void MixedRandomReadWriteWithFourJobsVerifies()
    {
        var r = RunFio("--name=mixed", $"--directory={MountPoint}", "--numjobs=4", "--size=32m", "--rw=randrw", "--rwmixread=50",
            "--bs=4k", "--verify=crc32c", "--direct=1", "--ioengine=psync", "--group_reporting");
        AssertClean(r);
        Assert.That(Directory.GetFiles(MountPoint), Has.Length.EqualTo(4), "one file per job");
    }

    private static ProcessResult RunFio(params string[] arguments) =>
        ProcessRunner.Run(Programs.Tool("fio"), arguments, TimeSpan.FromMinutes(5));

    private static void AssertClean(ProcessResult r)
    {
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout + r.Stderr, Does.Not.Contain("verify:").IgnoreCase.And.Not.Contain("bad magic").IgnoreCase
                .And.Not.Contain("crc32c: verify failed").IgnoreCase, r.ToString());
            Assert.That(r.Stdout, Does.Contain("err= 0"), "fio reports no error: " + r.Stdout);
        });
    }
}
