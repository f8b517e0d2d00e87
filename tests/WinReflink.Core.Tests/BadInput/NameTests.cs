using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.BadInput;

/// <summary>
/// Invalid and over-long names are refused by every call that takes a new name, and refusing them
/// changes nothing. Limits: 255 UTF-16 units and 255 UTF-8 bytes.
/// </summary>
public class NameTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private static readonly string Euro255Bytes = new('€', 85);
    private static readonly string[] RootEntries = { "file", "dir" };

    public static IEnumerable<TestCaseData> BadNames()
    {
        yield return new TestCaseData("", FsError.NameInvalid).SetName("empty");
        yield return new TestCaseData("a/b", FsError.NameInvalid).SetName("slash");
        yield return new TestCaseData("a\0b", FsError.NameInvalid).SetName("NUL");
        yield return new TestCaseData("a\uD800b", FsError.NameInvalid).SetName("lone high surrogate");
        yield return new TestCaseData("\uDC00", FsError.NameInvalid).SetName("lone low surrogate");
        yield return new TestCaseData(new string('a', 256), FsError.NameTooLong).SetName("256 characters");
        yield return new TestCaseData(new string('€', 128), FsError.NameTooLong).SetName("128 three-byte characters");
        yield return new TestCaseData(Euro255Bytes + "a", FsError.NameTooLong).SetName("256 UTF-8 bytes");
    }

    private static List<string> Names(FileSystem fs, long dir)
    {
        var names = new List<string>();
        Assert.That(fs.ReadDirectory(dir, 0, e =>
        {
            names.Add(e.Name);
            return true;
        }), Is.EqualTo(FsError.Ok));
        return names;
    }

    [TestCaseSource(nameof(BadNames))]
    public void BadNameIsRefusedEverywhereAndChangesNothing(string name, FsError expected)
    {
        using (var fs = FormatAndOpen())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "file", new CreateRequest(RegularFile, 0, 0), out var file), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Mkdir(FileSystem.RootIno, "dir", new CreateRequest(0x1ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            var info = fs.Info();

            Assert.That(fs.Create(dir.Ino, name, new CreateRequest(RegularFile, 0, 0), out _), Is.EqualTo(expected), "create");
            Assert.That(fs.Mkdir(dir.Ino, name, new CreateRequest(0x1ED, 0, 0), out _), Is.EqualTo(expected), "mkdir");
            Assert.That(fs.Symlink(dir.Ino, name, "target", new CreateRequest(0, 0, 0), out _), Is.EqualTo(expected), "symlink");
            Assert.That(fs.Link(file.Ino, dir.Ino, name, out _), Is.EqualTo(expected), "link");
            Assert.That(fs.Rename(FileSystem.RootIno, "file", dir.Ino, name, RenameFlags.None), Is.EqualTo(expected), "rename to");
            Assert.That(fs.Rename(FileSystem.RootIno, name, dir.Ino, "x", RenameFlags.None), Is.EqualTo(expected), "rename from");
            Assert.That(fs.Lookup(dir.Ino, name, out _), Is.EqualTo(expected), "lookup");
            Assert.That(fs.Unlink(dir.Ino, name), Is.EqualTo(expected), "unlink");
            Assert.That(fs.Rmdir(dir.Ino, name), Is.EqualTo(expected), "rmdir");

            Assert.That(Names(fs, dir.Ino), Is.Empty);
            Assert.That(Names(fs, FileSystem.RootIno), Is.EquivalentTo(RootEntries));
            Assert.That(fs.GetAttributes(file.Ino, out var attr), Is.EqualTo(FsError.Ok));
            Assert.That(attr.Nlink, Is.EqualTo(1u));
            var after = fs.Info();
            Assert.That((after.Files, after.Directories), Is.EqualTo((info.Files, info.Directories)));
            Assert.That(fs.Check(), Is.Empty);
        }
        using (var fs = Reopen())
        {
            Assert.That(fs.Check(), Is.Empty);
            Assert.That(Names(fs, FileSystem.RootIno), Is.EquivalentTo(RootEntries));
        }
    }

    /// <summary>"." and ".." name existing entries: creating them is EEXIST, as on POSIX; removing or renaming them is refused.</summary>
    [Test]
    public void DotAndDotDotCannotBeCreatedRemovedOrRenamed()
    {
        using var fs = FormatAndOpen();
        Assert.That(fs.Mkdir(FileSystem.RootIno, "dir", new CreateRequest(0x1ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Create(FileSystem.RootIno, "file", new CreateRequest(RegularFile, 0, 0), out var file), Is.EqualTo(FsError.Ok));
        foreach (string name in new[] { ".", ".." })
        {
            Assert.That(fs.Create(dir.Ino, name, new CreateRequest(RegularFile, 0, 0), out _), Is.EqualTo(FsError.Exists), name);
            Assert.That(fs.Mkdir(dir.Ino, name, new CreateRequest(0x1ED, 0, 0), out _), Is.EqualTo(FsError.Exists), name);
            Assert.That(fs.Link(file.Ino, dir.Ino, name, out _), Is.EqualTo(FsError.Exists), name);
            Assert.That(fs.Rename(FileSystem.RootIno, "file", dir.Ino, name, RenameFlags.None), Is.Not.EqualTo(FsError.Ok), name);
            Assert.That(fs.Rename(dir.Ino, name, FileSystem.RootIno, "x", RenameFlags.None), Is.Not.EqualTo(FsError.Ok), name);
            Assert.That(fs.Unlink(dir.Ino, name), Is.EqualTo(FsError.IsDirectory), name);
            Assert.That(fs.Rmdir(dir.Ino, name), Is.Not.EqualTo(FsError.Ok), name);
        }
        Assert.That(fs.Lookup(dir.Ino, ".", out var self), Is.EqualTo(FsError.Ok));
        Assert.That(self.Ino, Is.EqualTo(dir.Ino));
        Assert.That(fs.Lookup(dir.Ino, "..", out var parent), Is.EqualTo(FsError.Ok));
        Assert.That(parent.Ino, Is.EqualTo(FileSystem.RootIno));
        Assert.That(Names(fs, dir.Ino), Is.Empty);
        Assert.That(Names(fs, FileSystem.RootIno), Is.EquivalentTo(RootEntries));
        Assert.That(fs.Check(), Is.Empty);
    }

    /// <summary>The longest names allowed work: 255 characters, and 255 UTF-8 bytes of three-byte characters.</summary>
    [Test]
    public void NamesAtTheLimitWork()
    {
        using (var fs = FormatAndOpen())
        {
            foreach (string name in new[] { new string('a', 255), Euro255Bytes, "\U0001F600" + new string('b', 251) })
            {
                Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out _), Is.EqualTo(FsError.Ok), name);
            }
        }
        using (var fs = Reopen())
        {
            Assert.That(fs.Lookup(FileSystem.RootIno, Euro255Bytes, out _), Is.EqualTo(FsError.Ok));
            Assert.That(Names(fs, FileSystem.RootIno), Has.Count.EqualTo(3));
            Assert.That(fs.Check(), Is.Empty);
        }
    }
}
