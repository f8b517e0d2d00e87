using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>
/// Inodes whose last name is gone while the kernel still holds them: an open directory, a working
/// directory, an O_PATH descriptor, a directory a rename replaced. Each stays usable (attributes
/// readable, a directory openable and listed as empty) until the last reference goes, and the volume
/// checks clean afterwards (the fixture's teardown). Linux's VFS itself ends the listing of a removed
/// directory (getdents64 fails with ENOENT, which readdir(3) and ls take as the end), as on ext4.
/// </summary>
public sealed class RemovedButReferencedTests : MountedTest
{
    [Test]
    public void OpenDirectoryRemovedFromAnotherPathStaysListableAndStattable()
    {
        Directory.CreateDirectory(P("doomed"));
        File.WriteAllText(P("doomed/file"), "x");
        int fd = Libc.Open(P("doomed"), Libc.ORdOnly | Libc.ODirectory);
        try
        {
            File.Delete(P("doomed/file"));
            Assert.That(Libc.Rmdir(P("doomed")), Is.Zero);
            Assert.That(Directory.Exists(P("doomed")), Is.False);

            Assert.That(Libc.TryFStatFromFilesystem(fd, out var st), Is.Zero, "fstat of the removed directory");
            Assert.Multiple(() =>
            {
                Assert.That(st.Mode & 0xF000, Is.EqualTo(0x4000), "still a directory");
                Assert.That(st.Nlink, Is.Zero, "with no links");
            });
            Assert.That(Libc.TryReadDirectoryNames(fd, out var names), Is.EqualTo(Libc.ENoEnt), "the VFS ends the listing, as on ext4");
            Assert.That(names, Is.Empty);
        }
        finally
        {
            Libc.Close(fd);
        }
        Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);
    }

    [Test]
    public void RemovedWorkingDirectoryCanStillBeListedAndStatted()
    {
        Directory.CreateDirectory(P("cwd"));
        // `ls` opens "." (OPENDIR of a node with no name) and lists it as empty.
        var r = ProcessRunner.Run("/bin/sh", ["-c", "cd cwd && rmdir ../cwd && ls -a . && stat -c 'links=%h type=%F' ."], workingDirectory: MountPoint);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("links=0 type=directory"), r.ToString());
    }

    [Test]
    public void OPathDescriptorOfAnUnlinkedFileStillStatsAndReopens()
    {
        File.WriteAllText(P("file"), "kept by O_PATH");
        int fd = Libc.Open(P("file"), Libc.OPath);
        try
        {
            Assert.That(Libc.Unlink(P("file")), Is.Zero);
            Assert.That(Libc.TryFStatFromFilesystem(fd, out var st), Is.Zero, "fstat of the unlinked file through O_PATH");
            Assert.Multiple(() =>
            {
                Assert.That(st.Size, Is.EqualTo(14));
                Assert.That(st.Nlink, Is.Zero);
            });
            Assert.That(File.ReadAllText($"/proc/self/fd/{fd}"), Is.EqualTo("kept by O_PATH"), "reopened through /proc, it reads its data");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Test]
    public void DirectoryReplacedByARenameStaysStattableUntilItsLastClose()
    {
        Directory.CreateDirectory(P("source"));
        Directory.CreateDirectory(P("target"));
        int fd = Libc.Open(P("target"), Libc.ORdOnly | Libc.ODirectory);
        try
        {
            Directory.CreateDirectory(P("source/inside"));
            Assert.That(Libc.Rename2(P("source"), P("target"), 0), Is.Zero);
            Assert.That(Directory.Exists(P("target/inside")), Is.True, "the rename replaced the empty directory");
            Assert.That(Libc.TryFStatFromFilesystem(fd, out var st), Is.Zero, "fstat of the replaced directory");
            Assert.Multiple(() =>
            {
                Assert.That(st.Nlink, Is.Zero);
                Assert.That(st.Mode & 0xF000, Is.EqualTo(0x4000));
            });
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Test]
    public void RemovedDirectoryRefusesNewEntries()
    {
        Directory.CreateDirectory(P("gone"));
        var r = ProcessRunner.Run("/bin/sh", ["-c", "cd gone && rmdir ../gone && touch new"], workingDirectory: MountPoint);
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        Assert.That(r.Stderr, Does.Contain("No such file or directory"), r.ToString());
    }
}
