using WinReflink.Core.Errors;
using WinReflink.Core.Volume;
using static WinReflink.Core.Tests.Corruption.VolumeDamage;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>Volumes of older formats (1: no row checksums; 4: no sharing totals; 5: no entry types): read as they are read-only, upgraded in place when opened for writing.</summary>
public class FormatUpgradeTests : DamagedVolumeFixture
{
    /// <summary>Turns the fixture's volume into what version 1 wrote: the same tables without `crc`.</summary>
    private void MakeVersion1Volume()
    {
        MakeVolume();
        WithoutVersion6Columns(MetaDb);
        foreach (var table in Metadata.RowChecksums.Tables)
        {
            Sql(MetaDb, $"ALTER TABLE {table.Name} DROP COLUMN crc");
        }
        Sql(MetaDb, "UPDATE settings SET value = '1' WHERE key = 'format_version'");
    }

    [Test]
    public void AVersion1VolumeIsUpgradedWhenOpenedForWriting()
    {
        MakeVersion1Volume();
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(VolumeSettings.CurrentFormatVersion));
            Assert.That(fs.Damage, Is.Null);
            Assert.That(fs.Check(), Is.Empty);
            Assert.That(fs.Create(FileSystem.RootIno, "after-upgrade", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.Ok));
        }
        Assert.That(Scalar("SELECT COUNT(*) FROM inodes WHERE crc = 0"), Is.Zero, "every row has its checksum");
        Sql(MetaDb, Inv($"UPDATE inodes SET uid = 77 WHERE ino = {FileB}"));
        using var reopened = OpenReadWrite();
        reopened.Check();
        Assert.That(reopened.Damage, Does.Contain($"inodes row (ino {FileB})"), "the upgraded rows are verified");
    }

    [Test]
    public void AVersion1VolumeOpenedReadOnlyIsReadAsItIs()
    {
        MakeVersion1Volume();
        byte[] before = File.ReadAllBytes(MetaDb);
        using (var fs = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(1));
            Assert.That(fs.Check(), Is.Empty);
            Assert.That(fs.Lookup(Dir, "a", out var a), Is.EqualTo(FsError.Ok));
            Assert.That(a.Ino, Is.EqualTo(FileA));
        }
        Assert.That(File.ReadAllBytes(MetaDb), Is.EqualTo(before), "a read-only open does not upgrade");
    }

    /// <summary>Turns the fixture's volume into what version 5 wrote: no entry types, no mapped block counts.</summary>
    private void MakeVersion5Volume()
    {
        MakeVolume();
        Damage(reseal: true, "UPDATE settings SET value = '5' WHERE key = 'format_version'");
        WithoutVersion6Columns(MetaDb);
    }

    /// <summary>Version 5 kept no entry types: read-only, a listing takes them from the inodes; opened for writing, one UPDATE stores them (version 6).</summary>
    [Test]
    public void AVersion5VolumeGetsItsEntryTypesStored()
    {
        MakeVersion5Volume();
        byte[] before = File.ReadAllBytes(MetaDb);
        var expected = new Dictionary<string, uint> { ["dir"] = PosixMode.Directory, ["clone"] = PosixMode.Regular, ["b"] = PosixMode.Regular };
        using (var readOnly = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(readOnly.Info().FormatVersion, Is.EqualTo(5));
            Assert.That(readOnly.Check(), Is.Empty, "the rows verify over the columns they have");
            Assert.That(Types(readOnly), Is.EqualTo(expected), "an entry without a type has its inode loaded");
        }
        Assert.That(File.ReadAllBytes(MetaDb), Is.EqualTo(before), "a read-only open does not upgrade");
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(6));
            Assert.That(fs.Damage, Is.Null);
            Assert.That(fs.Check(), Is.Empty, "every entry has its inode's type and a checksum over it");
            Assert.That(Types(fs), Is.EqualTo(expected));
        }
        Assert.That(Scalar(Inv($"SELECT type FROM dirents WHERE ino = {Dir}")), Is.EqualTo(4));
        Assert.That(Scalar(Inv($"SELECT type FROM dirents WHERE ino = {FileB}")), Is.EqualTo(8));
        Assert.That(Scalar("SELECT count(*) FROM dirents WHERE type = 0"), Is.Zero);
    }

    private static Dictionary<string, uint> Types(FileSystem fs)
    {
        var types = new Dictionary<string, uint>();
        Assert.That(fs.ReadDirectoryNames(FileSystem.RootIno, 0, e =>
        {
            types[e.Name] = e.Mode;
            return true;
        }), Is.EqualTo(FsError.Ok));
        return types;
    }

    /// <summary>Version 4 kept no shared or saved block totals: a read-only open sums the shared rows, an open for writing stores the sums (version 5).</summary>
    [Test]
    public void AVersion4VolumeGetsItsSharingTotalsStored()
    {
        MakeVolume();
        Damage(reseal: true, "DELETE FROM settings WHERE key IN ('shared_blocks', 'saved_blocks')", "UPDATE settings SET value = '4' WHERE key = 'format_version'");
        WithoutVersion6Columns(MetaDb);
        using (var readOnly = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(readOnly.Info().FormatVersion, Is.EqualTo(4));
            Assert.That(readOnly.Info().SharedBytes, Is.EqualTo(5L * BlockSize), "summed over the rows");
        }
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(VolumeSettings.CurrentFormatVersion));
            Assert.That((fs.Info().SharedBytes, fs.Info().SavedBytes), Is.EqualTo((5L * BlockSize, 5L * BlockSize)));
            Assert.That(fs.Check(), Is.Empty);
        }
        Assert.That(Scalar("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'shared_blocks'"), Is.EqualTo(5));
        Assert.That(Scalar("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'saved_blocks'"), Is.EqualTo(5));
    }

    /// <summary>
    /// Version 5 kept no mapped block count in the inode row: a read-only open counts each file's over
    /// its extents, an open for writing stores it (version 6) with one aggregate and reseals only the
    /// rows that verified, so a row damaged before the upgrade is still found after.
    /// </summary>
    [Test]
    public void AVersion5VolumeGetsItsMappedBlocksStored()
    {
        MakeVersion5Volume();
        Damage(reseal: false, Inv($"UPDATE inodes SET uid = 77 WHERE ino = {SubDir}"), Inv($"UPDATE dirents SET cookie = cookie + 1000 WHERE ino = {FileB}"));
        using (var readOnly = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(readOnly.Info().FormatVersion, Is.EqualTo(5));
            Assert.That(readOnly.GetAttributes(FileA, out var a), Is.EqualTo(FsError.Ok));
            Assert.That(a.AllocatedBytes, Is.EqualTo(5L * BlockSize), "counted over the extents");
        }
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(VolumeSettings.CurrentFormatVersion));
            Assert.That(fs.GetAttributes(CloneOfA, out var clone), Is.EqualTo(FsError.Ok));
            Assert.That(clone.AllocatedBytes, Is.EqualTo(5L * BlockSize));
            Assert.That(fs.Check().Select(v => v.What), Is.EqualTo(new[]
            {
                Inv($"row does not match its checksum: dirents row (parent {FileSystem.RootIno}, key B)"),
                Inv($"row does not match its checksum: inodes row (ino {SubDir})"),
            }),
                "the rows damaged before the upgrade, alone");
        }
        Assert.That(Scalar(Inv($"SELECT blocks FROM inodes WHERE ino = {FileA}")), Is.EqualTo(5));
        Assert.That(Scalar(Inv($"SELECT blocks FROM inodes WHERE ino = {FileB}")), Is.EqualTo(1));
        Assert.That(Scalar(Inv($"SELECT blocks FROM inodes WHERE ino = {Dir}")), Is.Zero);
    }
}
