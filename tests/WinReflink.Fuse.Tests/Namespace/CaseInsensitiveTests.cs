using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>
/// A default volume is case-insensitive and case-preserving (Windows rules, applied by the FUSE host
/// too): any spelling finds a name, listings show the stored one, creating another spelling opens it.
/// </summary>
public sealed class CaseInsensitiveTests : MountedTest
{
    [Test]
    public void LsShowsTheStoredCaseAndStatFindsAnySpelling()
    {
        File.WriteAllText(P("a.txt"), "lower");
        File.WriteAllText(P("MixedCase.Txt"), "mixed");
        var ls = ProcessRunner.RunOk("ls", "-1", MountPoint);
        Assert.That(ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(new[] { "a.txt", "MixedCase.Txt" }));

        var stat = ProcessRunner.RunOk("stat", "-c", "%i %s", P("A.TXT"));
        Assert.That(stat.Stdout.Trim(), Is.EqualTo($"{Libc.Stat(P("a.txt")).Ino} 5"), "stat A.TXT finds a.txt");
        Assert.That(File.ReadAllText(P("mixedcase.txt")), Is.EqualTo("mixed"));
    }

    [Test]
    public void CreatingAnotherSpellingOpensTheExistingFile()
    {
        File.WriteAllText(P("a.txt"), "original");
        ulong ino = Libc.Stat(P("a.txt")).Ino;

        using (var stream = new FileStream(P("A.TXT"), FileMode.OpenOrCreate, FileAccess.ReadWrite))
        {
            Assert.That(Libc.Stat(P("A.TXT")).Ino, Is.EqualTo(ino), "O_CREAT of A.TXT opened a.txt");
            stream.Seek(0, SeekOrigin.End);
            stream.Write(" + more"u8);
        }
        Assert.That(File.ReadAllText(P("a.txt")), Is.EqualTo("original + more"));
        Assert.That(Libc.TryOpen(P("A.Txt"), Libc.OWrOnly | Libc.OCreat | Libc.OExcl, out _), Is.EqualTo(Libc.EExist), "O_EXCL sees the existing file");

        ProcessRunner.RunOk("sh", "-c", $"echo shell > '{P("A.txt")}'");
        Assert.That(File.ReadAllText(P("a.txt")), Is.EqualTo("shell\n"), "a shell redirection truncates and writes the same file");
        Assert.That(Directory.GetFileSystemEntries(MountPoint).Select(Path.GetFileName), Is.EqualTo(new[] { "a.txt" }), "one entry, spelled as first created");
    }

    [Test]
    public void DirectoriesResolveInAnyCase()
    {
        Directory.CreateDirectory(P("Docs/Sub"));
        File.WriteAllText(P("Docs/Sub/File.md"), "deep");
        Assert.That(File.ReadAllText(P("DOCS/sub/FILE.MD")), Is.EqualTo("deep"));
        File.WriteAllText(P("docs/SUB/second.md"), "via another spelling");
        Assert.That(Directory.GetFileSystemEntries(P("Docs/Sub")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "File.md", "second.md" }));
        Assert.That(ProcessRunner.RunOk("ls", MountPoint).Stdout.Trim(), Is.EqualTo("Docs"));
    }

    [Test]
    public void RemovingThroughAnotherSpellingRemovesTheName()
    {
        File.WriteAllText(P("gone.txt"), "x");
        Assert.That(Libc.Stat(P("gone.txt")).Size, Is.EqualTo(1), "looked up under its stored name first");
        Assert.That(Libc.Unlink(P("GONE.TXT")), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(Libc.TryStat(P("gone.txt"), out _), Is.EqualTo(Libc.ENoEnt), "the stored spelling is gone too");
            Assert.That(Libc.TryStat(P("GONE.TXT"), out _), Is.EqualTo(Libc.ENoEnt));
            Assert.That(Directory.EnumerateFileSystemEntries(MountPoint), Is.Empty);
        });

        Directory.CreateDirectory(P("Dir"));
        Assert.That(Directory.Exists(P("dir")), Is.True);
        Directory.Delete(P("DIR"));
        Assert.That(Directory.Exists(P("Dir")), Is.False, "rmdir through another spelling");

        File.WriteAllText(P("old.txt"), "moving");
        Assert.That(Libc.Stat(P("old.txt")).Size, Is.EqualTo(6));
        Assert.That(Libc.Rename2(P("OLD.TXT"), P("new.txt"), 0), Is.Zero);
        Assert.That(Libc.TryStat(P("old.txt"), out _), Is.EqualTo(Libc.ENoEnt), "the old stored spelling no longer resolves after a rename");
        Assert.That(File.ReadAllText(P("new.txt")), Is.EqualTo("moving"));
    }

    [Test]
    public void OtherSpellingsLookedUpBeforeDoNotOutliveTheEntry()
    {
        File.WriteAllText(P("x.txt"), "x");
        Assert.That(Libc.Stat(P("X.TXT")).Size, Is.EqualTo(1), "a dentry under another spelling");
        Assert.That(Libc.Unlink(P("x.txt")), Is.Zero);
        Assert.That(Libc.TryStat(P("X.TXT"), out _), Is.EqualTo(Libc.ENoEnt), "the other spelling is gone with the entry");

        File.WriteAllText(P("target.txt"), "old target");
        File.WriteAllText(P("incoming"), "new content");
        Assert.That(File.ReadAllText(P("target.txt")), Is.EqualTo("old target"));
        Assert.That(File.ReadAllText(P("TARGET.TXT")), Is.EqualTo("old target"));
        Assert.That(Libc.Rename2(P("incoming"), P("Target.Txt"), 0), Is.Zero, "replace through a third spelling");
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("target.txt")), Is.EqualTo("new content"), "the stored spelling names the new file");
            Assert.That(File.ReadAllText(P("TARGET.TXT")), Is.EqualTo("new content"), "so does the spelling looked up before");
        });

        File.WriteAllText(P("left"), "left");
        File.WriteAllText(P("right"), "right");
        Assert.That(File.ReadAllText(P("left")) + File.ReadAllText(P("right")), Is.EqualTo("leftright"));
        Assert.That(Libc.Rename2(P("LEFT"), P("RIGHT"), Libc.RenameExchange), Is.Zero);
        Assert.That(File.ReadAllText(P("left")) + File.ReadAllText(P("right")), Is.EqualTo("rightleft"), "an exchange through other spellings swaps the stored ones");
    }
}
