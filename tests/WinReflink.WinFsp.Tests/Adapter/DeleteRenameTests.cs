using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>Delete in Cleanup, POSIX delete of an open file, and Rename (winfsp.md 3.4, 3.8).</summary>
public sealed class DeleteRenameTests : AdapterFixture
{
    private const uint DeleteAccess = ReadAccess | AccessMask.Delete;

    [Test]
    public void SetDeleteOnlyChecksAndCleanupDeletes()
    {
        // NTFS: the disposition marks the file; it disappears when the handle closes.
        H.WriteFile(@"\gone", [1]);
        H.Open(@"\gone", 0, DeleteAccess, out nint h, out _, out _);
        Assert.That(H.SetDelete(h, @"\gone", true), Is.EqualTo(NtStatus.Success));
        Assert.That(H.CreateFile(@"\gone", Disposition.Open, 0, ReadAccess, out nint still), Is.EqualTo(NtStatus.Success), "marked, not deleted yet");
        H.CloseHandle(still);
        H.Cleanup(h, @"\gone", CleanupFlags.Delete);
        H.Close(h);
        Assert.That(H.CreateFile(@"\gone", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
    }

    [Test]
    public void ANonEmptyDirectoryCannotBeMarkedAndTheRootCannotBeDeleted()
    {
        // NTFS: RemoveDirectory of a non-empty directory is ERROR_DIR_NOT_EMPTY; the root cannot be deleted.
        H.MakeDirectory(@"\d");
        H.WriteFile(@"\d\f", [1]);
        H.Open(@"\d", DirectoryFile, DeleteAccess, out nint d, out _, out _);
        H.Open(@"\", DirectoryFile, DeleteAccess, out nint root, out _, out _);
        Assert.Multiple(() =>
        {
            Assert.That(H.SetDelete(d, @"\d", true), Is.EqualTo(NtStatus.DirectoryNotEmpty));
            Assert.That(H.SetDelete(d, @"\d", false), Is.EqualTo(NtStatus.Success), "un-marking always succeeds");
            Assert.That(H.SetDelete(root, @"\", true), Is.EqualTo(NtStatus.CannotDelete));
        });
        H.CloseHandle(d);
        H.CloseHandle(root);
    }

    [Test]
    public void AnEmptyDirectoryIsDeletedOnCleanup()
    {
        H.MakeDirectory(@"\empty");
        H.Open(@"\empty", DirectoryFile, DeleteAccess, out nint d, out _, out _);
        Assert.That(H.SetDelete(d, @"\empty", true), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(d, @"\empty");
        Assert.That(H.CreateFile(@"\empty", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
    }

    [Test]
    public void PosixDeleteOfAnOpenFileRemovesTheNameAndKeepsTheDataForOtherHandles()
    {
        // FILE_DISPOSITION_POSIX_SEMANTICS (DeleteFileW on Windows 10 1709+): the name goes at once, other
        // handles keep reading and writing until they close; the name can be reused meanwhile (3.4).
        var data = Pattern(9000);
        H.WriteFile(@"\open.bin", data);
        H.Open(@"\open.bin", 0, WriteAccess, out nint reader, out _, out _);
        H.Open(@"\open.bin", 0, DeleteAccess, out nint deleter, out _, out _);
        H.CloseHandle(deleter, @"\open.bin");
        Assert.That(H.CreateFile(@"\open.bin", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
        H.WriteFile(@"\open.bin", [42]);

        var buffer = new byte[9000];
        Assert.That(H.Read(reader, buffer, 0, out uint n), Is.EqualTo(NtStatus.Success));
        Assert.That((n, buffer), Is.EqualTo((9000u, data)));
        Assert.That(H.Write(reader, [1, 2, 3], 9000, out _, out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.FileSize, Is.EqualTo(9003));
        H.CloseHandle(reader);
        Assert.That(H.ReadAll(@"\open.bin"), Is.EqualTo(new byte[] { 42 }), "the new file of the same name is untouched");
        Assert.That(H.Adapter.OpenHandleCount, Is.Zero);
    }

    [Test]
    public void RenameMovesAFileAndANewHandleSeesItThere()
    {
        H.MakeDirectory(@"\to");
        H.WriteFile(@"\from.txt", [7]);
        H.Open(@"\from.txt", 0, DeleteAccess, out nint h, out _, out _);
        Assert.That(H.Rename(h, @"\from.txt", @"\to\moved.txt", false), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(h);
        Assert.That(H.ReadAll(@"\to\moved.txt"), Is.EqualTo(new byte[] { 7 }));
        Assert.That(H.CreateFile(@"\from.txt", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
    }

    [Test]
    public void RenameOntoAnExistingFileNeedsReplaceIfExists()
    {
        // NTFS: MoveFileEx without MOVEFILE_REPLACE_EXISTING fails with ERROR_ALREADY_EXISTS; with it, replaces.
        H.WriteFile(@"\src", [1]);
        H.WriteFile(@"\dst", [2]);
        H.Open(@"\src", 0, DeleteAccess, out nint h, out _, out _);
        Assert.That(H.Rename(h, @"\src", @"\DST", false), Is.EqualTo(NtStatus.ObjectNameCollision));
        Assert.That(H.ReadAll(@"\dst"), Is.EqualTo(new byte[] { 2 }), "a refused rename changes nothing");
        Assert.That(H.Rename(h, @"\src", @"\dst", true), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(h);
        Assert.That(H.ReadAll(@"\dst"), Is.EqualTo(new byte[] { 1 }));
    }

    [Test]
    public void ADirectoryIsNeverReplaced()
    {
        // memfs answers ACCESS_DENIED for a rename over a directory (3.8); NTFS does the same.
        H.WriteFile(@"\f", [1]);
        H.MakeDirectory(@"\d");
        H.Open(@"\f", 0, DeleteAccess, out nint h, out _, out _);
        Assert.That(H.Rename(h, @"\f", @"\d", true), Is.EqualTo(NtStatus.AccessDenied));
        H.CloseHandle(h);
    }

    [Test]
    public void ACaseOnlyRenameIsNotACollision()
    {
        // NTFS: MoveFile("a.txt", "A.TXT") changes the stored case.
        H.WriteFile(@"\a.txt", [1]);
        H.Open(@"\a.txt", 0, DeleteAccess, out nint h, out _, out _);
        Assert.That(H.Rename(h, @"\a.txt", @"\A.TXT", false), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(h);
        H.Open(@"\a.txt", 0, ReadAccess, out h, out _, out string? name);
        Assert.That(name, Is.EqualTo(@"\A.TXT"));
        H.CloseHandle(h);
    }
}
