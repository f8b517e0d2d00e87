using Microsoft.Data.Sqlite;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Semantics;

/// <summary>chattr flags through the engine: who may set them, what they refuse, and that they persist.</summary>
public sealed class InodeFlagsTests : SemanticsFixture
{
    private const long Root = FileSystem.RootIno;

    [Test]
    public void OnlyAPrivilegedCallerChangesImmutableOrAppendOnly()
    {
        var fs = FormatAndOpen();
        long ino = NewFile(fs, Root, "f");
        Assert.Multiple(() =>
        {
            Assert.That(fs.SetFlags(ino, InodeFlags.Immutable, privileged: false), Is.EqualTo(FsError.PermissionDenied));
            Assert.That(fs.SetFlags(ino, InodeFlags.AppendOnly, privileged: false), Is.EqualTo(FsError.PermissionDenied));
            Assert.That(fs.SetFlags(ino, InodeFlags.NoDump, privileged: false), Is.EqualTo(FsError.Ok), "nodump is the owner's");
            Assert.That(fs.SetFlags(ino, (InodeFlags)0x80000, privileged: true), Is.EqualTo(FsError.NotSupported), "a flag this volume does not keep");
            Assert.That(fs.SetFlags(ino, InodeFlags.Immutable | InodeFlags.NoDump, privileged: true), Is.EqualTo(FsError.Ok));
            Assert.That(fs.SetFlags(ino, InodeFlags.Immutable, privileged: false), Is.EqualTo(FsError.PermissionDenied), "nothing changes on an immutable inode");
            Assert.That(fs.SetFlags(ino, InodeFlags.None, privileged: false), Is.EqualTo(FsError.PermissionDenied));
            Assert.That(fs.GetFlags(ino, out var flags), Is.EqualTo(FsError.Ok));
            Assert.That(flags, Is.EqualTo(InodeFlags.Immutable | InodeFlags.NoDump));
        });
        fs.Dispose();
    }

    [Test]
    public void AnImmutableFileRefusesEveryChangeAndShowsReadOnlyToWindows()
    {
        var fs = FormatAndOpen();
        long dir = NewDirectory(fs, Root, "d");
        long ino = NewFile(fs, Root, "f", "fixed");
        Assert.That(fs.SetFlags(ino, InodeFlags.Immutable, privileged: true), Is.EqualTo(FsError.Ok));

        Assert.Multiple(() =>
        {
            Assert.That(fs.Write(ino, 5, "more"u8, out _), Is.EqualTo(FsError.PermissionDenied), "write");
            Assert.That(fs.SetAttributes(ino, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.PermissionDenied), "truncate");
            Assert.That(fs.SetAttributes(ino, new SetAttributesRequest(SetAttributeFields.Mode, Mode: 0x1FF), out _), Is.EqualTo(FsError.PermissionDenied), "chmod");
            Assert.That(fs.Allocate(ino, 0, 4096, AllocateMode.KeepSize), Is.EqualTo(FsError.PermissionDenied), "fallocate");
            Assert.That(fs.SetXattr(ino, "user.x", "v"u8, XattrFlags.None), Is.EqualTo(FsError.PermissionDenied), "setxattr");
            Assert.That(fs.Unlink(Root, "f"), Is.EqualTo(FsError.PermissionDenied), "unlink");
            Assert.That(fs.Rename(Root, "f", dir, "g", RenameFlags.None), Is.EqualTo(FsError.PermissionDenied), "rename");
            Assert.That(fs.Link(ino, dir, "link", out _), Is.EqualTo(FsError.PermissionDenied), "link");
            Assert.That(fs.OpenInode(ino, OpenIntent.Write), Is.EqualTo(FsError.PermissionDenied), "open for writing");
            Assert.That(fs.OpenInode(ino, OpenIntent.Read), Is.EqualTo(FsError.Ok), "open for reading");
            Assert.That(fs.Release(ino), Is.EqualTo(FsError.Ok));
            Assert.That(Read(fs, ino), Is.EqualTo("fixed"));
            Assert.That(fs.GetAttributes(ino, out var a), Is.EqualTo(FsError.Ok));
            Assert.That(a.WindowsAttributes & WindowsAttributes.ReadOnly, Is.EqualTo(WindowsAttributes.ReadOnly), "Windows sees ReadOnly");
        });

        Assert.That(fs.SetFlags(dir, InodeFlags.Immutable, privileged: true), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(fs.Create(dir, "new", new CreateRequest(0x1A4, 0, 0), out _), Is.EqualTo(FsError.PermissionDenied), "no new entry in an immutable directory");
            Assert.That(fs.Rename(Root, "d", Root, "d2", RenameFlags.None), Is.EqualTo(FsError.PermissionDenied), "nor is it renamed");
        });

        Assert.That(fs.SetFlags(ino, InodeFlags.None, privileged: true), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(ino, out var cleared), Is.EqualTo(FsError.Ok));
        Assert.That(cleared.WindowsAttributes & WindowsAttributes.ReadOnly, Is.EqualTo(WindowsAttributes.None));
        Assert.That(fs.Write(ino, 5, "more"u8, out _), Is.EqualTo(FsError.Ok), "writable again");
        fs.Dispose();
    }

    [Test]
    public void AnAppendOnlyFileTakesBytesOnlyAtItsEnd()
    {
        var fs = FormatAndOpen();
        long ino = NewFile(fs, Root, "log", "line1\n");
        Assert.That(fs.SetFlags(ino, InodeFlags.AppendOnly, privileged: true), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(fs.Write(ino, 6, "line2\n"u8, out _), Is.EqualTo(FsError.Ok), "append");
            Assert.That(fs.Write(ino, 0, "X"u8, out _), Is.EqualTo(FsError.PermissionDenied), "overwrite");
            Assert.That(fs.SetAttributes(ino, new SetAttributesRequest(SetAttributeFields.Size, Size: 1), out _), Is.EqualTo(FsError.PermissionDenied), "truncate");
            Assert.That(fs.Allocate(ino, 0, 4096, AllocateMode.PunchHole), Is.EqualTo(FsError.PermissionDenied), "punch hole");
            Assert.That(fs.Unlink(Root, "log"), Is.EqualTo(FsError.PermissionDenied), "unlink");
            Assert.That(fs.Rename(Root, "log", Root, "log2", RenameFlags.None), Is.EqualTo(FsError.PermissionDenied), "rename");
            Assert.That(fs.OpenInode(ino, OpenIntent.Write), Is.EqualTo(FsError.PermissionDenied), "open for writing without append");
            Assert.That(fs.OpenInode(ino, OpenIntent.Write | OpenIntent.Append | OpenIntent.Truncate), Is.EqualTo(FsError.PermissionDenied), "O_TRUNC");
            Assert.That(fs.OpenInode(ino, OpenIntent.Write | OpenIntent.Append), Is.EqualTo(FsError.Ok), "open for appending");
            Assert.That(fs.Release(ino), Is.EqualTo(FsError.Ok));
            Assert.That(Read(fs, ino), Is.EqualTo("line1\nline2\n"));
        });
        fs.Dispose();
    }

    [Test]
    public void FlagsPersistAndAVolumeFromBeforeTheFlagsTableOpens()
    {
        var fs = FormatAndOpen();
        long ino = NewFile(fs, Root, "f");
        long other = NewFile(fs, Root, "g");
        Assert.That(fs.SetFlags(ino, InodeFlags.Immutable | InodeFlags.NoDump, privileged: true), Is.EqualTo(FsError.Ok));
        Assert.That(fs.SetFlags(other, InodeFlags.AppendOnly, privileged: true), Is.EqualTo(FsError.Ok));
        Assert.That(fs.SetFlags(other, InodeFlags.None, privileged: true), Is.EqualTo(FsError.Ok));
        fs = CheckedReopen(fs);
        Assert.Multiple(() =>
        {
            Assert.That(fs.GetFlags(ino, out var flags), Is.EqualTo(FsError.Ok));
            Assert.That(flags, Is.EqualTo(InodeFlags.Immutable | InodeFlags.NoDump));
            Assert.That(fs.GetFlags(other, out var none), Is.EqualTo(FsError.Ok));
            Assert.That(none, Is.EqualTo(InodeFlags.None));
        });
        fs.Dispose();

        // A volume made before the table existed: drop it, as such a volume never had it.
        using (var db = new SqliteConnection($"Data Source={Path.Combine(Folder, "meta.db")};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "DROP TABLE inode_flags";
            cmd.ExecuteNonQuery();
        }
        using (var readOnly = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(readOnly.GetFlags(ino, out var flags), Is.EqualTo(FsError.Ok));
            Assert.That(flags, Is.EqualTo(InodeFlags.None), "read-only: no table, no flags");
        }
        fs = Reopen();
        Assert.That(fs.SetFlags(ino, InodeFlags.AppendOnly, privileged: true), Is.EqualTo(FsError.Ok), "the table is back once opened for writing");
        fs = CheckedReopen(fs);
        Assert.That(fs.GetFlags(ino, out var appendOnly), Is.EqualTo(FsError.Ok));
        Assert.That(appendOnly, Is.EqualTo(InodeFlags.AppendOnly));
        fs.Dispose();
    }
}
