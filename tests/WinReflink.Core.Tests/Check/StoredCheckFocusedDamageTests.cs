using WinReflink.Core.Check;
using WinReflink.Core.Metadata;
using WinReflink.Core.Tests.Corruption;

namespace WinReflink.Core.Tests.Check;

/// <summary>
/// Damage the random corpus rarely or never draws, each planted with SQL on the closed fixture volume
/// (/dir/sub, /dir/a, /clone, /b): the stored check reports what the loaded check reports, and the
/// finding named.
/// </summary>
public class StoredCheckFocusedDamageTests : DamagedVolumeFixture
{
    private static readonly string[] ExpectedLinkCount = ["link count differs from the entries naming the inode"];
    private static readonly string[] ExpectedChecksum = ["row does not match its checksum: inodes row (ino 1)"];

    [TestCase("UPDATE inodes SET mode = 33188 WHERE ino = 1", "the root directory is missing")]
    [TestCase("INSERT INTO dirents(parent, key, name, ino, cookie) SELECT 1, 'SUB2', 'sub2', ino, 900 FROM dirents WHERE name = 'sub'", "directory reachable twice (a cycle or a hard link to a directory)")]
    [TestCase("UPDATE dirents SET cookie = (SELECT cookie FROM dirents WHERE name = 'clone') WHERE name = 'b'", "has a readdir cookie that is not unique and positive")]
    [TestCase("UPDATE dirents SET name = 'a/b' WHERE name = 'a'", "has an invalid name or lookup key")]
    [TestCase("UPDATE dirents SET type = 4 WHERE name = 'b'", "entry 'b' has the wrong file type")]
    [TestCase("UPDATE inodes SET parent = 1 WHERE ino IN (SELECT ino FROM dirents WHERE name = 'sub')", "has the wrong parent")]
    [TestCase("INSERT INTO orphans(ino) SELECT ino FROM dirents WHERE name = 'dir'; DELETE FROM dirents WHERE name = 'dir'", "orphan directory with links or entries")]
    [TestCase("INSERT INTO orphans(ino) VALUES (4242)", "orphan record of an inode that does not exist")]
    [TestCase("INSERT INTO xattrs(ino, name, value) VALUES (4242, 'user.x', x'01')", "row of an object that does not exist")]
    [TestCase("INSERT INTO extents(ino, logical, physical, length, unwritten) VALUES (1, 0, 900, 1, 0)", "row of an object that does not exist")]
    [TestCase("UPDATE inodes SET secid = 77 WHERE ino = 1", "security descriptor id that does not exist")]
    [TestCase("INSERT INTO security(id, descriptor) VALUES (5, x'0100')", null)]
    [TestCase("DELETE FROM free", "are lost: neither free, mapped nor reserved")]
    [TestCase("UPDATE shared SET length = length + 3", "are in the shared table but mapped")]
    [TestCase("INSERT INTO shared(start, length, refs) VALUES (-4, 2, 2)", "shared-table row outside the volume")]
    [TestCase("UPDATE inodes SET nlink = 4294967296 WHERE ino = 1", "does not fit 32 bits")]
    public void ReportsWhatTheLoadedCheckReports(string damage, string? finding)
    {
        MakeVolume();
        Damage(reseal: true, damage);
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null);
        var found = StoredVolumeChecker.Run(MetaDb, Settings(), null, null);
        if (finding != null)
        {
            Assert.That(found.Select(v => v.What), Has.Some.Contains(finding));
        }
        Assert.That(found.Select(v => v.What), Has.None.Contains("used by no inode"), "a descriptor no inode uses stays until repair collects it");
    }

    [Test]
    public void ChecksAVersion1VolumeWithoutChecksums()
    {
        MakeVolume();
        foreach (var table in RowChecksums.Tables)
        {
            VolumeDamage.Sql(MetaDb, $"ALTER TABLE {table.Name} DROP COLUMN crc");
        }
        VolumeDamage.Sql(MetaDb, "UPDATE settings SET value = '1' WHERE key = 'format_version'");
        VolumeDamage.Sql(MetaDb, "UPDATE inodes SET nlink = 3 WHERE ino = (SELECT ino FROM dirents WHERE name = 'b')");
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null);
        Assert.That(StoredVolumeChecker.Run(MetaDb, Settings(), null, null).Select(v => v.What).ToList(), Is.EqualTo(ExpectedLinkCount));
    }

    [Test]
    public void AChecksumThatDoesNotMatchIsReported()
    {
        MakeVolume();
        Damage(reseal: false, "UPDATE inodes SET uid = 7 WHERE ino = 1");
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null);
        Assert.That(StoredVolumeChecker.Run(MetaDb, Settings(), null, null).Select(v => v.What).ToList(), Is.EqualTo(ExpectedChecksum));
    }

    private Volume.VolumeSettings Settings()
    {
        using var store = MetadataStore.Open(MetaDb, readOnly: true);
        return store.LoadSettings(MetaDb);
    }
}
