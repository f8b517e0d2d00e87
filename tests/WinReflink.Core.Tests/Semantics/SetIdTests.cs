using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>fallocate, punch hole and zero range clear set-ID bits as a write does, when the host says the caller is not root.</summary>
public sealed class SetIdTests : SemanticsFixture
{
    [TestCase(AllocateMode.Allocate)]
    [TestCase(AllocateMode.KeepSize)]
    [TestCase(AllocateMode.PunchHole)]
    [TestCase(AllocateMode.ZeroRange)]
    public void AllocationByAnotherCallerClearsSetIdBits(AllocateMode mode)
    {
        var fs = FormatAndOpen();
        long groupExec = NewFile(fs, FileSystem.RootIno, "gx", "data", mode: 0xDED); // 06755
        long noGroupExec = NewFile(fs, FileSystem.RootIno, "nogx", "data", mode: 0xDE4); // 06744
        long root = NewFile(fs, FileSystem.RootIno, "root", "data", mode: 0xDED);
        foreach (long ino in new[] { groupExec, noGroupExec })
        {
            Assert.That(fs.Allocate(ino, 0, 8192, mode, killSuidSgid: true), Is.EqualTo(FsError.Ok));
        }
        Assert.That(fs.Allocate(root, 0, 8192, mode), Is.EqualTo(FsError.Ok));
        fs = CheckedReopen(fs);
        Assert.Multiple(() =>
        {
            Assert.That(Mode(fs, groupExec), Is.EqualTo(0x1EDu), "both bits go when group execute is set");
            Assert.That(Mode(fs, noGroupExec), Is.EqualTo(0x5E4u), "set-group-ID without group execute (mandatory locking) stays");
            Assert.That(Mode(fs, root), Is.EqualTo(0xDEDu), "root keeps them");
        });
        fs.Dispose();
    }

    private static uint Mode(FileSystem fs, long ino)
    {
        Assert.That(fs.GetAttributes(ino, out var a), Is.EqualTo(FsError.Ok));
        return a.Mode & PosixMode.PermissionMask;
    }
}
