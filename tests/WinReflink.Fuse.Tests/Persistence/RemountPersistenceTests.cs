using System.Security.Cryptography;
using System.Text;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Persistence;

/// <summary>Everything a program can observe of a tree survives unmount and mount: the unmount commits it all.</summary>
public sealed class RemountPersistenceTests : MountedTest
{
    [Test]
    public void TreeSurvivesUnmountAndMount()
    {
        BuildTree();
        var info = Info();
        var before = Snapshot();
        Assert.That(before, Has.Count.GreaterThan(10), "the tree was built");

        Remount();

        var after = Snapshot();
        Assert.That(after.Keys, Is.EquivalentTo(before.Keys), "the same names");
        Assert.Multiple(() =>
        {
            foreach (var (path, entry) in before)
            {
                Assert.That(after[path], Is.EqualTo(entry), path);
            }
        });
        var infoAfter = Info();
        Assert.Multiple(() =>
        {
            Assert.That(infoAfter.UsedBytes, Is.EqualTo(info.UsedBytes), "usedBytes");
            Assert.That(infoAfter.SharedBytes, Is.EqualTo(info.SharedBytes), "sharedBytes (the reflink in the tree)");
            Assert.That(infoAfter.Files, Is.EqualTo(info.Files), "files");
        });
        Assert.That(infoAfter.SharedBytes, Is.EqualTo(3L << 20), "the reflinked copy still shares its 3 MiB");
        // Contents read last, so their reads cannot disturb the times compared above.
        Assert.Multiple(() =>
        {
            foreach (var (path, entry) in before.Where(e => e.Value.Type == "file"))
            {
                Assert.That(ContentHash(Path.Combine(MountPoint, path)), Is.EqualTo(_hashes[path]), $"contents of {path}");
            }
        });
    }

    private readonly Dictionary<string, string> _hashes = new();

    private void BuildTree()
    {
        var random = new Random(7);
        Directory.CreateDirectory(P("docs/deep/deeper"));
        Directory.CreateDirectory(P("empty-dir"));
        File.WriteAllText(P("docs/readme.txt"), "read me\n");
        File.WriteAllBytes(P("docs/empty"), []);
        var big = new byte[3 << 20];
        random.NextBytes(big);
        File.WriteAllBytes(P("docs/deep/random.bin"), big);
        File.Copy(P("docs/deep/random.bin"), P("docs/deep/reflink.bin"));
        PatternFile.Overwrite(P("docs/deep/reflink.bin"), 5 << 20, Encoding.ASCII.GetBytes("tail past a hole"));
        using (var sparse = File.Create(P("docs/deep/deeper/sparse")))
        {
            sparse.SetLength(100L << 20);
            sparse.Position = 50L << 20;
            sparse.Write(Encoding.ASCII.GetBytes("middle of nowhere"));
        }
        File.WriteAllText(P("Mixed Case Name.TXT"), "case preserved");
        File.WriteAllText(P("ünïcödé-名前.txt"), "utf-8 names");
        File.WriteAllText(P("to-be-renamed"), "renamed");
        File.Move(P("to-be-renamed"), P("docs/renamed"));

        File.WriteAllText(P("docs/linked"), "two names");
        Libc.Link(P("docs/linked"), P("docs/deep/hardlink"));
        File.CreateSymbolicLink(P("docs/symlink-relative"), "readme.txt");
        File.CreateSymbolicLink(P("symlink-absolute"), "/nonexistent/target/ü");
        Directory.CreateSymbolicLink(P("docs/dirlink"), "deep");

        File.SetUnixFileMode(P("docs/readme.txt"), (UnixFileMode)0x1a0);               // 0640
        File.SetUnixFileMode(P("docs/deep/random.bin"), (UnixFileMode)0x1ed);          // 0755
        File.SetUnixFileMode(P("docs/deep/deeper"), (UnixFileMode)0x3c0 | UnixFileMode.SetGroup); // 02700
        File.SetUnixFileMode(P("empty-dir"), (UnixFileMode)0x3ff | UnixFileMode.StickyBit);       // 01777
        ProcessRunner.RunOk("chown", "1234:5678", P("docs/empty"));
        ProcessRunner.RunOk("chown", "-h", "4321:8765", P("docs/symlink-relative"));

        Libc.SetXattr(P("docs/readme.txt"), "user.comment", Encoding.UTF8.GetBytes("a comment"));
        Libc.SetXattr(P("docs/readme.txt"), "user.empty", []);
        var binary = new byte[3000];
        random.NextBytes(binary);
        Libc.SetXattr(P("docs/deep"), "user.binary", binary);
        Libc.SetXattr(P("docs/linked"), "trusted.root-only", Encoding.UTF8.GetBytes("trusted"));

        foreach (string file in Directory.EnumerateFiles(MountPoint, "*", SearchOption.AllDirectories).Where(f => !IsSymlink(f)))
        {
            _hashes[Path.GetRelativePath(MountPoint, file)] = ContentHash(file);
        }
        // Times last, after every read and change, to values with sub-second parts.
        long t = 1_600_000_000;
        foreach (string path in Directory.EnumerateFileSystemEntries(MountPoint, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            Libc.SetTimes(path, (t, 123_456_700), (t - 86_400, 987_654_300));
            t += 3_600;
        }
    }

    private static bool IsSymlink(string path) => (Libc.Stat(path, followSymlinks: false).FileType) == 0xa000;

    private static string ContentHash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private sealed record Entry(string Type, long Size, uint Mode, uint Uid, uint Gid, uint Nlink, ulong Ino, string ModifyTime, string AccessTime,
        string ChangeTime, string? Target, string Xattrs, long AllocatedBytes);

    /// <summary>Metadata of every entry (no file contents are read, so no time moves).</summary>
    private Dictionary<string, Entry> Snapshot()
    {
        var result = new Dictionary<string, Entry>();
        foreach (string path in Directory.EnumerateFileSystemEntries(MountPoint, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var s = Libc.Stat(path, followSymlinks: false);
            bool link = s.FileType == 0xa000;
            string type = link ? "symlink" : s.FileType == 0x4000 ? "dir" : "file";
            string xattrs = string.Join(";", Libc.ListXattrs(path).Order(StringComparer.Ordinal)
                .Select(n => $"{n}={Convert.ToHexString(Libc.GetXattr(path, n))}"));
            result[Path.GetRelativePath(MountPoint, path)] = new Entry(type, s.Size, s.Mode, s.Uid, s.Gid, s.Nlink, s.Ino, s.MTime.ToString(),
                s.ATime.ToString(), s.CTime.ToString(), link ? new FileInfo(path).LinkTarget : null, xattrs, s.AllocatedBytes);
        }
        return result;
    }
}
