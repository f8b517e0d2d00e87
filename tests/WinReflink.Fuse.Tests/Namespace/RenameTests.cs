using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Namespace;

/// <summary>rename(2) and renameat2(2) with RENAME_NOREPLACE and RENAME_EXCHANGE on the mount.</summary>
public sealed class RenameTests : MountedTest
{
    [Test]
    public void RenameReplacesAFileAndMovesADirectory()
    {
        File.WriteAllText(P("a"), "a");
        File.WriteAllText(P("b"), "b");
        ulong inoA = Libc.Stat(P("a")).Ino;
        Assert.That(Libc.Rename2(P("a"), P("b"), 0), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(P("a")), Is.False);
            Assert.That(File.ReadAllText(P("b")), Is.EqualTo("a"));
            Assert.That(Libc.Stat(P("b")).Ino, Is.EqualTo(inoA), "the renamed inode now has the name");
        });

        Directory.CreateDirectory(P("d1/sub"));
        File.WriteAllText(P("d1/sub/f"), "inside");
        Directory.CreateDirectory(P("d2"));
        Assert.That(Libc.Rename2(P("d1"), P("d2/moved"), 0), Is.Zero);
        Assert.That(File.ReadAllText(P("d2/moved/sub/f")), Is.EqualTo("inside"));
        Assert.That(Directory.Exists(P("d1")), Is.False);
        Assert.That(Libc.Stat(P("d2")).Nlink, Is.EqualTo(3u), "d2 gained a subdirectory's ..");

        Directory.CreateDirectory(P("full/x"));
        Directory.CreateDirectory(P("other"));
        Assert.That(Libc.Rename2(P("other"), P("full"), 0), Is.EqualTo(39), "ENOTEMPTY: a directory replaces only an empty one");
        Assert.That(Libc.Rename2(P("b"), P("full"), 0), Is.EqualTo(21), "EISDIR: a file cannot replace a directory");
        Assert.That(Libc.Rename2(P("d2"), P("d2/moved/sub/inside-itself"), 0), Is.EqualTo(Libc.EInval), "EINVAL: a directory cannot move into itself");
    }

    [Test]
    public void NoReplaceRefusesAnExistingTargetAndRenamesOtherwise()
    {
        File.WriteAllText(P("src"), "source");
        File.WriteAllText(P("dst"), "destination");
        Assert.That(Libc.Rename2(P("src"), P("dst"), Libc.RenameNoReplace), Is.EqualTo(Libc.EExist));
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("src")), Is.EqualTo("source"), "nothing moved");
            Assert.That(File.ReadAllText(P("dst")), Is.EqualTo("destination"));
        });
        Assert.That(Libc.Rename2(P("src"), P("new"), Libc.RenameNoReplace), Is.Zero);
        Assert.That(File.ReadAllText(P("new")), Is.EqualTo("source"));
        Assert.That(File.Exists(P("src")), Is.False);
    }

    [Test]
    public void ExchangeSwapsTwoNamesAtomically()
    {
        File.WriteAllText(P("one"), "first");
        Directory.CreateDirectory(P("dir"));
        File.WriteAllText(P("dir/two"), "second");
        ulong one = Libc.Stat(P("one")).Ino, two = Libc.Stat(P("dir/two")).Ino;

        Assert.That(Libc.Rename2(P("one"), P("dir/two"), Libc.RenameExchange), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("one")), Is.EqualTo("second"));
            Assert.That(File.ReadAllText(P("dir/two")), Is.EqualTo("first"));
            Assert.That(Libc.Stat(P("one")).Ino, Is.EqualTo(two));
            Assert.That(Libc.Stat(P("dir/two")).Ino, Is.EqualTo(one));
        });

        // A file and a directory trade places too.
        Directory.CreateDirectory(P("sub"));
        File.WriteAllText(P("sub/inner"), "x");
        Assert.That(Libc.Rename2(P("one"), P("sub"), Libc.RenameExchange), Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(P("one/inner")), Is.EqualTo("x"));
            Assert.That(File.ReadAllText(P("sub")), Is.EqualTo("second"));
        });

        Assert.That(Libc.Rename2(P("one"), P("missing"), Libc.RenameExchange), Is.EqualTo(Libc.ENoEnt), "exchange needs both names");
        Assert.That(Libc.Rename2(P("one"), P("sub"), Libc.RenameExchange | Libc.RenameNoReplace), Is.EqualTo(Libc.EInval), "the flags exclude each other");
    }
}
