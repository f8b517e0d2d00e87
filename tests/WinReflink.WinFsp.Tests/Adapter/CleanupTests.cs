using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>What the last close of a file object does besides deleting (winfsp.md 3.4).</summary>
public sealed class CleanupTests : AdapterFixture
{
    [Test]
    public void SetArchiveBitMarksAModifiedFileAgain()
    {
        // NTFS sets FILE_ATTRIBUTE_ARCHIVE on a file written since a backup cleared it.
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, WriteAccess, out nint h, out _, out _);
        Assert.That(H.SetBasicInfo(h, FileAttributeBits.Normal, 0, 0, 0, 0, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileAttributes, Is.EqualTo(FileAttributeBits.Normal), "no attribute left: NORMAL");
        H.Cleanup(h, null, CleanupFlags.SetArchiveBit);
        H.GetFileInfo(h, out info);
        Assert.That(info.FileAttributes, Is.EqualTo(FileAttributeBits.Archive));
        H.Close(h);
    }

    [Test]
    public void SetLastWriteTimeStampsNow()
    {
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, WriteAccess, out nint h, out _, out _);
        const ulong old = 120000000000000000; // 1981
        H.SetBasicInfo(h, FileAttributeBits.Invalid, 0, old, old, 0, out _);
        H.Cleanup(h, null, CleanupFlags.SetLastWriteTime | CleanupFlags.SetLastAccessTime);
        H.GetFileInfo(h, out var info);
        ulong now = (ulong)DateTime.UtcNow.ToFileTimeUtc();
        Assert.Multiple(() =>
        {
            Assert.That(info.LastWriteTime, Is.InRange(now - 600_000_000UL, now + 600_000_000UL));
            Assert.That(info.LastAccessTime, Is.InRange(now - 600_000_000UL, now + 600_000_000UL));
        });
        H.Close(h);
    }

    [Test]
    public void APathThroughAFileIsNotADirectory()
    {
        // GetSecurityByName on \file\x: the parent is not a directory (3.3).
        H.WriteFile(@"\file", [1]);
        nuint size = 0;
        Assert.That(H.GetSecurityByName(@"\file\x", out _, null, ref size), Is.EqualTo(NtStatus.NotADirectory));
    }

    [Test]
    public void AnOpenDirectoryDeletedByAnotherHandleStillAnswers()
    {
        // POSIX delete of a directory open elsewhere: the name goes, the open handle lists an empty directory.
        H.MakeDirectory(@"\d");
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint open, out _, out _);
        H.Open(@"\d", DirectoryFile, ReadAccess | AccessMask.Delete, out nint deleter, out _, out _);
        Assert.That(H.SetDelete(deleter, @"\d", true), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(deleter, @"\d");
        Assert.That(H.CreateFile(@"\d", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
        Assert.That(H.GetFileInfo(open, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileAttributes & FileAttributeBits.Directory, Is.Not.Zero);
        H.CloseHandle(open);
        Assert.That(H.Adapter.OpenHandleCount, Is.Zero);
    }
}
