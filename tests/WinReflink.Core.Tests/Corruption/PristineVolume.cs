using System.Globalization;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// A small real volume built through the engine, kept as bytes so each damaged copy starts from the
/// same files: nested directories, files with partial last blocks and several extents, clones (rows in
/// the shared table), hard links, a symbolic link, extended attributes, a security descriptor and an
/// orphan record, in both a case-insensitive and a case-sensitive flavour.
/// </summary>
internal sealed class PristineVolume
{
    public const long SizeBytes = 4L << 20;
    private const uint File = 0x81A4;
    private const uint Dir = 0x41ED;

    private PristineVolume(byte[] metaDb, byte[] dataImg, bool caseSensitive)
    {
        MetaDb = metaDb;
        DataImg = dataImg;
        CaseSensitive = caseSensitive;
    }

    public byte[] MetaDb { get; }
    public byte[] DataImg { get; }
    public bool CaseSensitive { get; }

    public static PristineVolume Build(bool caseSensitive)
    {
        string folder = Path.Combine(Path.GetTempPath(), "wrl-pristine-" + Guid.NewGuid().ToString("N"));
        try
        {
            FileSystem.Format(folder, new FormatOptions { SizeBytes = SizeBytes, CaseSensitive = caseSensitive, SerialNumber = 0x5EED_0001 });
            var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 16L << 20 });
            Populate(fs);
            // The orphan: open, unlinked, committed while open, then the process "dies" with it open.
            Ok(fs.Create(FileSystem.RootIno, "open-and-unlinked", new CreateRequest(File, 0, 0), out var orphan));
            Ok(fs.Write(orphan.Ino, 0, new byte[5000], out _));
            Ok(fs.OpenInode(orphan.Ino));
            Ok(fs.Unlink(FileSystem.RootIno, "open-and-unlinked"));
            Ok(fs.Sync());
            Assert.That(fs.Check(), Is.Empty, "the pristine volume is sound");
            fs.SimulateCrash();
            return new PristineVolume(System.IO.File.ReadAllBytes(Path.Combine(folder, "meta.db")), System.IO.File.ReadAllBytes(Path.Combine(folder, "data.img")), caseSensitive);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static void Populate(FileSystem fs)
    {
        var random = new Random(42);
        Ok(fs.Mkdir(FileSystem.RootIno, "Docs", new CreateRequest(Dir, 0, 0), out var docs));
        Ok(fs.Mkdir(docs.Ino, "Nested", new CreateRequest(Dir, 0, 0), out var nested));
        Ok(fs.Mkdir(nested.Ino, "Deeper", new CreateRequest(Dir, 0, 0), out var deeper));
        long[] dirs = [FileSystem.RootIno, docs.Ino, nested.Ino, deeper.Ino];
        var files = new List<long>();
        for (int i = 0; i < 40; i++)
        {
            long parent = dirs[i % dirs.Length];
            Ok(fs.Create(parent, "File-" + i.ToString(CultureInfo.InvariantCulture) + ".txt", new CreateRequest(File, 1000, 1000), out var a));
            var data = new byte[random.Next(1, 30_000)];
            random.NextBytes(data);
            Ok(fs.Write(a.Ino, 0, data, out _));
            if (i % 5 == 0)
            {
                // A second, separate run of blocks: a file of two extents with a hole between.
                Ok(fs.Write(a.Ino, 200_000, data.AsSpan(0, Math.Min(data.Length, 9000)), out _));
            }
            files.Add(a.Ino);
        }
        for (int i = 0; i < 8; i++)
        {
            Ok(fs.Create(docs.Ino, "Clone-" + i.ToString(CultureInfo.InvariantCulture), new CreateRequest(File, 0, 0), out var c));
            Ok(fs.CloneRange(files[i], 0, c.Ino, 0, long.MaxValue, out _));
        }
        Ok(fs.Link(files[1], deeper.Ino, "Hard-Link", out _));
        Ok(fs.Symlink(nested.Ino, "Link-To-Docs", "../Docs", new CreateRequest(0xA1FF, 0, 0), out _));
        Ok(fs.SetXattr(files[2], "user.comment", "hello"u8, XattrFlags.None));
        Ok(fs.SetSecurity(files[3], [1, 0, 4, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        Ok(fs.Sync());
    }

    private static void Ok(FsError e) => Assert.That(e, Is.EqualTo(FsError.Ok));

    /// <summary>Writes the pristine files into a new volume folder.</summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        System.IO.File.WriteAllBytes(Path.Combine(folder, "meta.db"), MetaDb);
        System.IO.File.WriteAllBytes(Path.Combine(folder, "data.img"), DataImg);
    }
}
