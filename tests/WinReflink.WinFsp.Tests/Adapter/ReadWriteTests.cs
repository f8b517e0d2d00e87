using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>Read, Write and SetFileSize by the rules of winfsp.md 3.8.</summary>
public sealed class ReadWriteTests : AdapterFixture
{
    [TestCase(1)]
    [TestCase(4095)]
    [TestCase(4096)]
    [TestCase(4097)]
    [TestCase(65536)]
    [TestCase(1 << 20)]
    public void WhatIsWrittenReadsBackWithTheSizeInTheReturnedFileInfo(int length)
    {
        // NTFS: WriteFile extends the file; the new size is visible at once (Write returns FileInfo, 3.7).
        var data = Pattern(length, length);
        Assert.That(H.CreateFile(@"\d.bin", Disposition.Create, 0, WriteAccess, out nint h), Is.EqualTo(NtStatus.Success));
        Assert.That(H.Write(h, data, 0, out uint n, out var info), Is.EqualTo(NtStatus.Success));
        Assert.Multiple(() =>
        {
            Assert.That(n, Is.EqualTo((uint)length));
            Assert.That(info.FileSize, Is.EqualTo((ulong)length));
            Assert.That(info.AllocationSize, Is.GreaterThanOrEqualTo(info.FileSize));
            Assert.That(info.AllocationSize % 4096, Is.Zero);
        });
        H.CloseHandle(h);
        Assert.That(H.ReadAll(@"\d.bin"), Is.EqualTo(data));
    }

    [Test]
    public void ReadAtOrPastTheEndIsEndOfFileAndAReadAcrossItIsClamped()
    {
        // NTFS: ReadFile at EOF returns STATUS_END_OF_FILE (0 bytes, TRUE for synchronous Win32); across it, the bytes up to EOF.
        H.WriteFile(@"\ten.bin", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        H.Open(@"\ten.bin", 0, ReadAccess, out nint h, out _, out _);
        var buffer = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(H.Read(h, buffer, 6, out uint n), Is.EqualTo(NtStatus.Success));
            Assert.That(n, Is.EqualTo(4));
            Assert.That(buffer[..4], Is.EqualTo(new byte[] { 6, 7, 8, 9 }));
            Assert.That(H.Read(h, buffer, 10, out n), Is.EqualTo(NtStatus.EndOfFile));
            Assert.That(n, Is.Zero);
            Assert.That(H.Read(h, buffer, 1UL << 40, out _), Is.EqualTo(NtStatus.EndOfFile));
        });
        H.CloseHandle(h);
    }

    [Test]
    public void WriteToEndOfFileAppends()
    {
        // NTFS: FILE_APPEND_DATA writes (offset -1 / FILE_WRITE_TO_END_OF_FILE) land at the current end.
        H.WriteFile(@"\log", [1, 2]);
        H.Open(@"\log", 0, WriteAccess, out nint h, out _, out _);
        Assert.That(H.Write(h, [3, 4, 5], 0, out uint n, out var info, writeToEndOfFile: true), Is.EqualTo(NtStatus.Success));
        Assert.That((n, info.FileSize), Is.EqualTo((3u, 5UL)));
        H.CloseHandle(h);
        Assert.That(H.ReadAll(@"\log"), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void ConstrainedIoNeverExtendsTheFile()
    {
        // Paging I/O (ConstrainedIo) is clamped to the end of file; past it nothing is written and the size stays (3.8).
        H.WriteFile(@"\p", [1, 2, 3, 4]);
        H.Open(@"\p", 0, WriteAccess, out nint h, out _, out _);
        Assert.Multiple(() =>
        {
            Assert.That(H.Write(h, [9, 9, 9, 9], 2, out uint n, out var info, constrainedIo: true), Is.EqualTo(NtStatus.Success));
            Assert.That(n, Is.EqualTo(2));
            Assert.That(info.FileSize, Is.EqualTo(4));
            Assert.That(H.Write(h, [7], 10, out n, out info, constrainedIo: true), Is.EqualTo(NtStatus.Success));
            Assert.That(n, Is.Zero);
            Assert.That(info.FileSize, Is.EqualTo(4));
        });
        H.CloseHandle(h);
        Assert.That(H.ReadAll(@"\p"), Is.EqualTo(new byte[] { 1, 2, 9, 9 }));
    }

    [Test]
    public void SetEndOfFileTruncatesAndExtendsWithZeros()
    {
        // NTFS: SetEndOfFile shortens; extending reads back zeros.
        H.WriteFile(@"\s", Pattern(10000));
        H.Open(@"\s", 0, WriteAccess, out nint h, out _, out _);
        Assert.That(H.SetFileSize(h, 100, allocation: false, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileSize, Is.EqualTo(100));
        Assert.That(H.SetFileSize(h, 8192, allocation: false, out info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileSize, Is.EqualTo(8192));
        H.CloseHandle(h);
        var back = H.ReadAll(@"\s");
        Assert.That(back[..100], Is.EqualTo(Pattern(10000)[..100]));
        Assert.That(back[100..].All(b => b == 0), Is.True);
    }

    [Test]
    public void AllocationBelowTheEndOfFileTruncatesAndAboveItReservesWithoutGrowing()
    {
        // FileAllocationInformation: smaller than EOF truncates the file; larger keeps EOF and rounds to the cluster (3.8).
        H.WriteFile(@"\a", Pattern(10000));
        H.Open(@"\a", 0, WriteAccess, out nint h, out _, out _);
        Assert.That(H.SetFileSize(h, 5000, allocation: true, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That((info.FileSize, info.AllocationSize), Is.EqualTo((5000UL, 8192UL)));
        Assert.That(H.SetFileSize(h, 50000, allocation: true, out info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileSize, Is.EqualTo(5000));
        Assert.That(info.AllocationSize, Is.GreaterThanOrEqualTo(50000));
        // The last cleanup with SetAllocationSize gives the reservation back (3.4).
        H.Cleanup(h, null, CleanupFlags.SetAllocationSize);
        H.GetFileInfo(h, out info);
        Assert.That(info.AllocationSize, Is.EqualTo(8192));
        H.Close(h);
    }

    [Test]
    public void ReadingADirectoryIsRefused()
    {
        H.MakeDirectory(@"\d");
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint h, out _, out _);
        Assert.That(H.Read(h, new byte[10], 0, out _), Is.EqualTo(NtStatus.FileIsADirectory));
        H.CloseHandle(h);
    }

    [Test]
    public void FlushOfAHandleAndOfTheVolumeSucceed()
    {
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, WriteAccess, out nint h, out _, out _);
        Assert.That(H.Flush(h, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileSize, Is.EqualTo(1));
        Assert.That(H.Flush(0, out _), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(h);
    }

    [Test]
    public void SetBasicInfoChangesOnlyWhatIsGiven()
    {
        // NTFS: SetFileInformationByHandle(FileBasicInfo) with 0 times and INVALID attributes changes nothing of those.
        H.WriteFile(@"\t", [1]);
        H.Open(@"\t", 0, WriteAccess, out nint h, out var before, out _);
        const ulong creation = 132000000000000000; // 2019-04-16
        Assert.That(H.SetBasicInfo(h, FileAttributeBits.Invalid, creation, 0, 0, 0, out var after), Is.EqualTo(NtStatus.Success));
        Assert.Multiple(() =>
        {
            Assert.That(after.CreationTime, Is.EqualTo(creation));
            Assert.That(after.LastWriteTime, Is.EqualTo(before.LastWriteTime));
            Assert.That(after.FileAttributes, Is.EqualTo(before.FileAttributes));
        });
        Assert.That(H.SetBasicInfo(h, 0x1 | 0x2, 0, 0, creation + 1, 0, out after), Is.EqualTo(NtStatus.Success));
        Assert.That((after.FileAttributes, after.LastWriteTime), Is.EqualTo((0x3u, creation + 1)));
        H.CloseHandle(h);
    }
}
