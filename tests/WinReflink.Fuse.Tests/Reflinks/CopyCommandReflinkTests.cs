using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Reflinks;

/// <summary>
/// The copy commands people use make reflinks on the mount: after FICLONE fails on FUSE they issue
/// copy_file_range, which the host turns into a clone. Each copies a 1 GiB file; the volume's figures
/// (through the Info ioctl) must show the copy sharing every block and using no new space.
/// </summary>
public sealed class CopyCommandReflinkTests : MountedTest
{
    private const long Size = 1L << 30;
    private const int BlockSize = 4096;

    [Test]
    public void CpMakesAReflink() => AssertCopyIsReflink((src, dst) => ProcessRunner.RunOk("cp", src, dst));

    [Test]
    public void DotnetFileCopyMakesAReflink() => AssertCopyIsReflink((src, dst) => File.Copy(src, dst));

    [Test]
    public void PowerShellCopyItemMakesAReflink() => AssertCopyIsReflink((src, dst) =>
    {
        var r = ProcessRunner.Run(Programs.Pwsh, ["-NoProfile", "-NonInteractive", "-c", $"Copy-Item -LiteralPath '{src}' -Destination '{dst}'"], TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
    });

    private void AssertCopyIsReflink(Action<string, string> copy)
    {
        string src = P("source.bin"), dst = P("copy.bin");
        var pattern = new PatternFile(seed: 1);
        byte[] sourceHash = pattern.Write(src, Size);
        var before = Info();

        copy(src, dst);

        var after = Info();
        Assert.Multiple(() =>
        {
            Assert.That(after.SharedBytes - before.SharedBytes, Is.EqualTo(Size), "sharedBytes grows by the file size");
            Assert.That(after.UsedBytes - before.UsedBytes, Is.InRange(0, (1L << 20) - 1), "usedBytes grows by less than 1 MiB");
            Assert.That(Libc.Stat(dst).Size, Is.EqualTo(Size));
        });
        var extents = ControlChannel.Extents(dst);
        Assert.Multiple(() =>
        {
            Assert.That(extents.Sum(e => e.Length), Is.EqualTo(Size), "the copy maps every byte");
            Assert.That(extents.Where(e => e.ShareCount < 2), Is.Empty, "every extent of the copy is shared");
        });
        Assert.That(PatternFile.Hash(dst), Is.EqualTo(sourceHash), "the copy's contents equal the source's");

        // A 4 KiB write at an unaligned offset of the copy touches two shared blocks; one aligned write to the source touches one more.
        var toCopy = (Offset: (300L << 20) + 123, Data: Filled(BlockSize, 0xC0));
        var toSource = (Offset: 700L << 20, Data: Filled(BlockSize, 0x50));
        PatternFile.Overwrite(dst, toCopy.Offset, toCopy.Data);
        PatternFile.Overwrite(src, toSource.Offset, toSource.Data);

        pattern.AssertContent(src, Size, "the source (its own write, not the copy's)", toSource);
        pattern.AssertContent(dst, Size, "the copy (its own write, not the source's)", toCopy);
        Assert.That(Info().SharedBytes - before.SharedBytes, Is.EqualTo(Size - 3 * BlockSize), "exactly the three written blocks stopped being shared");
    }

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }
}
