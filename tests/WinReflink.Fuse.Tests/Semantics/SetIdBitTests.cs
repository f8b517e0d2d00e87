using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Semantics;

/// <summary>
/// Set-user-ID and set-group-ID bits are cleared by every change of a file's data by a caller other than
/// root, as Linux's file_remove_privs does: O_TRUNC, O_DIRECT writes, fallocate, punch hole, zero range.
/// Commands run as nobody through setpriv.
/// </summary>
public sealed class SetIdBitTests : MountedTest
{
    private const int Nobody = 65534;

    protected override string[] MountOptions => ["--allow-other"];

    private string Q(string relative) => $"'{P(relative)}'";

    private void SetIdFile(string name, string owner, string mode)
    {
        File.WriteAllBytes(P("pub/" + name), new byte[8192]);
        ProcessRunner.RunOk("chown", owner, P("pub/" + name));
        ProcessRunner.RunOk("chmod", mode, P("pub/" + name));
    }

    private uint Permissions(string name) => Libc.Stat(P("pub/" + name)).Permissions;

    [Test]
    public void ChangesByNobodyClearTheBits()
    {
        Directory.CreateDirectory(P("pub"));
        File.SetUnixFileMode(P("pub"), (UnixFileMode)0x1ff);
        SetIdFile("truncated", "0:0", "6777");
        SetIdFile("direct", "65534:65534", "6755");
        SetIdFile("allocated", "65534:65534", "6755");
        SetIdFile("punched", "65534:65534", "6755");
        SetIdFile("zeroed", "65534:65534", "6755");
        SetIdFile("no-group-exec", "65534:65534", "6744");

        var r = ProcessRunner.RunAs(Nobody, Nobody,
            $": > {Q("pub/truncated")}"
            + $" && dd if=/dev/zero of={Q("pub/direct")} bs=4096 count=1 oflag=direct conv=notrunc status=none"
            + $" && fallocate -l 65536 {Q("pub/allocated")}"
            + $" && fallocate -p -o 0 -l 4096 {Q("pub/punched")}"
            + $" && fallocate -z -o 0 -l 4096 {Q("pub/zeroed")}"
            + $" && fallocate -l 65536 {Q("pub/no-group-exec")}");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(Permissions("truncated"), Is.EqualTo(0x1ffu), "open(O_TRUNC) by a non-owner clears both");
            Assert.That(Libc.Stat(P("pub/truncated")).Size, Is.Zero);
            Assert.That(Permissions("direct"), Is.EqualTo(0x1edu), "an O_DIRECT write by the owner clears both");
            Assert.That(Permissions("allocated"), Is.EqualTo(0x1edu), "fallocate clears both");
            Assert.That(Permissions("punched"), Is.EqualTo(0x1edu), "punch hole clears both");
            Assert.That(Permissions("zeroed"), Is.EqualTo(0x1edu), "zero range clears both");
            Assert.That(Permissions("no-group-exec"), Is.EqualTo(0x5e4u), "set-group-ID without group execute stays");
        });
    }

    [Test]
    public void RootKeepsTheBits()
    {
        Directory.CreateDirectory(P("pub"));
        SetIdFile("root", "65534:65534", "6755");
        ProcessRunner.RunOk("dd", "if=/dev/zero", $"of={P("pub/root")}", "bs=4096", "count=1", "oflag=direct", "conv=notrunc", "status=none");
        ProcessRunner.RunOk("fallocate", "-p", "-o", "0", "-l", "4096", P("pub/root"));
        ProcessRunner.RunOk("sh", "-c", $": > {Q("pub/root")}");
        Assert.That(Permissions("root"), Is.EqualTo(0xdedu), "CAP_FSETID keeps set-ID bits on write, fallocate and truncate");
    }
}
