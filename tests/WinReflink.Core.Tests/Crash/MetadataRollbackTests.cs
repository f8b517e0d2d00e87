using System.Security.Cryptography;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// The crash model assumes meta.db rolls back to the last commit on a power cut because the engine
/// writes nothing to SQLite between commits (changes wait in memory). These tests check that
/// assumption on the real files: meta.db and its WAL do not change between commits, whatever runs.
/// </summary>
public class MetadataRollbackTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;

    private string MetaFilesHash()
    {
        var all = new List<byte>();
        foreach (string name in new[] { "meta.db", "meta.db-wal" })
        {
            string path = Path.Combine(Folder, name);
            all.AddRange(System.Text.Encoding.UTF8.GetBytes(name));
            if (File.Exists(path))
            {
                all.AddRange(File.ReadAllBytes(path));
            }
        }
        return Convert.ToHexString(SHA256.HashData(all.ToArray()));
    }

    private Dictionary<string, byte[]> SnapshotMetaFiles()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string name in new[] { "meta.db", "meta.db-wal" })
        {
            string path = Path.Combine(Folder, name);
            if (File.Exists(path))
            {
                files[name] = File.ReadAllBytes(path);
            }
        }
        return files;
    }

    private void RestoreMetaFiles(Dictionary<string, byte[]> files)
    {
        foreach (string name in new[] { "meta.db", "meta.db-wal", "meta.db-shm" })
        {
            string path = Path.Combine(Folder, name);
            if (files.TryGetValue(name, out var bytes))
            {
                File.WriteAllBytes(path, bytes);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    [Test]
    public void NothingReachesMetaDbBetweenCommitsAndACrashRollsBack()
    {
        long a, kept;
        string committed;
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        using (var fs = FormatAndOpen())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "a", new CreateRequest(RegularFile, 0, 0), out var attrA), Is.EqualTo(FsError.Ok));
            a = attrA.Ino;
            Assert.That(fs.Write(a, 0, data, out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Create(FileSystem.RootIno, "kept", new CreateRequest(RegularFile, 0, 0), out var attrK), Is.EqualTo(FsError.Ok));
            kept = attrK.Ino;
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            committed = MetaFilesHash();

            // Every kind of metadata change, none committed.
            Assert.That(fs.Create(FileSystem.RootIno, "b", new CreateRequest(RegularFile, 0, 0), out var attrB), Is.EqualTo(FsError.Ok));
            Assert.That(fs.CloneRange(a, 0, attrB.Ino, 0, long.MaxValue, out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Write(a, 4096, new byte[10_000], out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Mkdir(FileSystem.RootIno, "d", new CreateRequest(0x1ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Rename(FileSystem.RootIno, "kept", dir.Ino, "moved", RenameFlags.None), Is.EqualTo(FsError.Ok));
            Assert.That(fs.SetXattr(a, "user.x", new byte[] { 1, 2, 3 }, XattrFlags.None), Is.EqualTo(FsError.Ok));
            Assert.That(fs.SetAttributes(a, new SetAttributesRequest(SetAttributeFields.Size | SetAttributeFields.Mode, Mode: 0x180, Size: 12345), out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Allocate(attrB.Ino, 0, 8192, AllocateMode.PunchHole), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Read(a, 0, new byte[100], out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check(), Is.Empty);

            Assert.That(MetaFilesHash(), Is.EqualTo(committed), "meta.db or its WAL changed between commits");
            var atPowerCut = SnapshotMetaFiles();
            fs.SimulateCrash();
            // Closing the connection checkpoints the WAL; a power cut would not have. Put back the
            // files as they were at the cut, so the reopen below recovers from those.
            RestoreMetaFiles(atPowerCut);
        }
        Assert.That(MetaFilesHash(), Is.EqualTo(committed));
        using (var fs = Reopen())
        {
            Assert.That(fs.Check(), Is.Empty);
            Assert.That(fs.Lookup(FileSystem.RootIno, "b", out _), Is.EqualTo(FsError.NotFound));
            Assert.That(fs.Lookup(FileSystem.RootIno, "d", out _), Is.EqualTo(FsError.NotFound));
            Assert.That(fs.Lookup(FileSystem.RootIno, "kept", out var k), Is.EqualTo(FsError.Ok));
            Assert.That(k.Ino, Is.EqualTo(kept));
            Assert.That(fs.GetAttributes(a, out var attr), Is.EqualTo(FsError.Ok));
            Assert.That(attr.Size, Is.EqualTo(data.Length));
            Assert.That(attr.Mode & 0xFFF, Is.EqualTo(0x1A4));
            Assert.That(fs.GetXattr(a, "user.x", out _), Is.EqualTo(FsError.NoAttribute));
            var back = new byte[data.Length];
            Assert.That(fs.Read(a, 0, back, out int n), Is.EqualTo(FsError.Ok));
            Assert.That(n, Is.EqualTo(data.Length));
            // The overwrite hit blocks shared with the clone, so it went to new blocks the crash forgot.
            Assert.That(back, Is.EqualTo(data));
            Assert.That(fs.Info().SharedBytes, Is.Zero);
        }
    }
}
