using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

/// <summary>
/// The invariants the inode table's components state (InodeAttributeWriter, InodeSecurity, InodeXattrs,
/// OpenCounts), through the facade: a refused change changes nothing, descriptor use counts stay exact,
/// the root is never let go.
/// </summary>
public sealed class InodeComponentInvariantTests : VolumeFixture
{
    private static readonly CreateRequest File = new(0x81a4, 0, 0);
    private static readonly byte[] DescriptorA = [1, 0, 4, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DescriptorB = [1, 0, 4, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    [Test]
    public void SetattrRefusedForItsSizeChangesNoOtherField()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var f), Is.EqualTo(FsError.Ok));
        var request = new SetAttributesRequest(SetAttributeFields.Mode | SetAttributeFields.Uid | SetAttributeFields.Size,
            Mode: 0x1ff, Uid: 42, Size: FileSystem.MaxFileSize + 1);
        Assert.That(fs.SetAttributes(f.Ino, request, out _), Is.EqualTo(FsError.FileTooLarge));
        Assert.That(fs.GetAttributes(f.Ino, out var after), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(after.Mode, Is.EqualTo(f.Mode));
            Assert.That(after.Uid, Is.EqualTo(f.Uid));
            Assert.That(after.ChangeTime, Is.EqualTo(f.ChangeTime));
        });
    }

    [Test]
    public void SetattrNeverChangesTheTypeNorStoresTheDirectoryAttribute()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var f), Is.EqualTo(FsError.Ok));
        var request = new SetAttributesRequest(SetAttributeFields.Mode | SetAttributeFields.WindowsAttributes,
            Mode: 0x41ff, WindowsAttributes: WindowsAttributes.Directory | WindowsAttributes.Hidden);
        Assert.That(fs.SetAttributes(f.Ino, request, out var after), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(after.Mode, Is.EqualTo(0x81ffu), "regular file, permissions 0777");
            Assert.That(after.WindowsAttributes, Is.EqualTo(WindowsAttributes.Hidden));
        });
    }

    [Test]
    public void SecurityDescriptorUseCountsStayExactAcrossResetsAndReopen()
    {
        long ino;
        using (var fs = FormatAndOpen())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var f), Is.EqualTo(FsError.Ok));
            ino = f.Ino;
            Assert.That(fs.SetSecurity(ino, DescriptorA), Is.EqualTo(FsError.Ok));
            Assert.That(fs.SetSecurity(ino, DescriptorA), Is.EqualTo(FsError.Ok), "setting the same descriptor again keeps it");
            Assert.That(fs.GetSecurity(ino, out var kept), Is.EqualTo(FsError.Ok));
            Assert.That(kept, Is.EqualTo(DescriptorA));
            Assert.That(fs.SetSecurity(ino, DescriptorB), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check(), Is.Empty);
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        }
        using (var fs = Reopen())
        {
            Assert.That(fs.GetSecurity(ino, out var stored), Is.EqualTo(FsError.Ok));
            Assert.That(stored, Is.EqualTo(DescriptorB));
            Assert.That(fs.SetSecurity(ino, []), Is.EqualTo(FsError.Ok));
            Assert.That(fs.GetSecurity(ino, out var none), Is.EqualTo(FsError.Ok));
            Assert.That(none, Is.Null);
            Assert.That(fs.Check(), Is.Empty);
        }
    }

    [Test]
    public void XattrNamesAreBoundedAndARefusedSetKeepsTheValue()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var f), Is.EqualTo(FsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(fs.SetXattr(f.Ino, "", [1], XattrFlags.None), Is.EqualTo(FsError.InvalidArgument));
            Assert.That(fs.SetXattr(f.Ino, "user." + new string('n', FileSystem.MaxXattrNameBytes - 4), [1], XattrFlags.None), Is.EqualTo(FsError.NameTooLong));
            Assert.That(fs.SetXattr(f.Ino, "user." + new string('n', FileSystem.MaxXattrNameBytes - 5), [1], XattrFlags.None), Is.EqualTo(FsError.Ok));
        });
        Assert.That(fs.SetXattr(f.Ino, "user.a", [1, 2], XattrFlags.None), Is.EqualTo(FsError.Ok));
        Assert.That(fs.SetXattr(f.Ino, "user.a", [3], XattrFlags.Create), Is.EqualTo(FsError.Exists));
        Assert.That(fs.SetXattr(f.Ino, "user.b", [3], XattrFlags.Replace), Is.EqualTo(FsError.NoAttribute));
        Assert.That(fs.GetXattr(f.Ino, "user.a", out var value), Is.EqualTo(FsError.Ok));
        Assert.That(value, Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(fs.ListXattrs(f.Ino, out var names), Is.EqualTo(FsError.Ok));
        Assert.That(names, Has.Count.EqualTo(2).And.Contains("user.a"));
    }

    [Test]
    public void RootIsNeverLetGoAndReleasesPastZeroAreIgnored()
    {
        using var fs = FormatAndOpen();
        fs.Unreference(FileSystem.RootIno, long.MaxValue);
        fs.UnreferenceAll();
        Assert.That(fs.GetAttributes(FileSystem.RootIno, out _), Is.EqualTo(FsError.Ok));

        Assert.That(fs.Create(FileSystem.RootIno, "f", File, out var f), Is.EqualTo(FsError.Ok));
        Assert.That(fs.OpenInode(f.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Release(f.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Release(f.Ino), Is.EqualTo(FsError.Ok), "one release too many is ignored");
        Assert.That(fs.OpenInode(f.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Unlink(FileSystem.RootIno, "f"), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(f.Ino, out _), Is.EqualTo(FsError.Ok), "the one open handle holds it: the extra release did not go below zero");
        fs.UnreferenceAll();
        Assert.That(fs.GetAttributes(f.Ino, out _), Is.EqualTo(FsError.Ok), "dropping host references leaves open handles");
        Assert.That(fs.Release(f.Ino), Is.EqualTo(FsError.Ok));
        Assert.That(fs.GetAttributes(f.Ino, out _), Is.EqualTo(FsError.NotFound));
        Assert.That(fs.Check(), Is.Empty);
    }
}
