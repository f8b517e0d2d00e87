using System.Security.Cryptography;
using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Check;
using static WinReflink.Core.Tests.Corruption.VolumeDamage;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// `check --repair` on every kind of damage it claims to repair: the repair is reported, and a fresh
/// open afterwards finds the volume clean and writable. What it cannot repair is refused with nothing
/// written.
/// </summary>
public class RepairTests : DamagedVolumeFixture
{
    private static readonly string[] RootNames = ["dir", "clone", "b"];
    private static readonly string[] SoundFile = ["ok"];

    /// <summary>Repairs, then proves it by a fresh read-write open: no damage, check clean. Returns the repairs.</summary>
    private List<string> RepairAndReopen()
    {
        RepairReport report;
        using (var fs = OpenReadWrite(repairing: true))
        {
            report = fs.Repair(dryRun: false);
        }
        TestContext.Out.WriteLine(string.Join("\n", report.Repairs));
        Assert.That(report.Refused, Is.Null, string.Join("\n", report.Unrepaired));
        Assert.That(report.Written, Is.True);
        Assert.That(report.Repairs, Is.Not.Empty);
        using var reopened = OpenReadWrite();
        Assert.That(reopened.Damage, Is.Null);
        Assert.That(reopened.Check(), Is.Empty);
        Assert.That(reopened.IsReadOnly, Is.False);
        return report.Repairs.Select(r => r.ToString()).ToList();
    }

    /// <summary>
    /// An index entry that no longer matches its row (a flipped bit in an index page) is found by
    /// SQLite's integrity check alone; the repair rebuilds the indexes from the tables.
    /// </summary>
    [Test]
    public void ADamagedIndexIsRebuiltFromItsTable()
    {
        MakeVolume();
        VolumeDamage.MisplaceIndexEntry(MetaDb, "dirents_by_cookie");
        using (var fs = OpenReadWrite(repairing: true))
        {
            Assert.That(fs.Check().Select(v => v.What), Has.Some.StartsWith("meta.db fails SQLite's integrity check: row").And.Some.Contains("missing from index dirents_by_cookie"),
                "the check of a fully loaded volume runs SQLite's integrity check too");
        }
        using (var fs = OpenReadWrite(repairing: true))
        {
            var dry = fs.Repair(dryRun: true);
            Assert.That(dry.Refused, Is.Null, string.Join("\n", dry.Unrepaired));
            Assert.That(dry.Repairs.Select(r => r.What), Has.Some.StartsWith("rebuilt meta.db's indexes"));
        }
        Assert.That(VolumeDamage.Texts(MetaDb, "PRAGMA integrity_check"), Is.Not.EqualTo(SoundFile), "a dry run writes nothing");
        Assert.That(RepairAndReopen(), Has.Some.StartsWith("rebuilt meta.db's indexes from their tables"));
        Assert.That(VolumeDamage.Texts(MetaDb, "PRAGMA integrity_check"), Is.EqualTo(SoundFile));
    }

    /// <summary>A repair refused for what it cannot mend names a damaged index among what remains, and rebuilds nothing.</summary>
    [Test]
    public void ARefusedRepairNamesTheDamagedIndexToo()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET size = -5 WHERE ino = {FileB}"));
        VolumeDamage.MisplaceIndexEntry(MetaDb, "dirents_by_cookie");
        RepairReport report;
        using (var fs = OpenReadWrite(repairing: true))
        {
            report = fs.Repair(dryRun: false);
        }
        Assert.That(report.Refused, Is.Not.Null);
        Assert.That(report.Written, Is.False);
        Assert.That(report.Unrepaired.Select(v => v.What), Has.Some.EqualTo("size out of range").And.Some.Contains("missing from index dirents_by_cookie"));
        Assert.That(VolumeDamage.Texts(MetaDb, "PRAGMA integrity_check"), Is.Not.EqualTo(SoundFile), "the index is left as it was");
    }

    /// <summary>
    /// Damage a rebuild of the indexes cannot mend (here an index page SQLite cannot read as one, so
    /// REINDEX cannot free it) is refused, with nothing written.
    /// </summary>
    [Test]
    public void DamageBeyondWhatARebuildOfTheIndexesMendsIsRefused()
    {
        MakeVolume();
        VolumeDamage.Sql(MetaDb, "PRAGMA wal_checkpoint(TRUNCATE)");
        int pageSize = (int)Scalar("PRAGMA page_size");
        long root = Scalar("SELECT rootpage FROM sqlite_master WHERE name = 'dirents_by_cookie'");
        byte[] before = File.ReadAllBytes(MetaDb);
        using (var f = new FileStream(MetaDb, FileMode.Open, FileAccess.Write))
        {
            // The index's page type byte made a table page's: its cells no longer parse as an index's.
            f.Position = (root - 1) * pageSize;
            f.WriteByte(0x0D);
        }
        byte[] damaged = File.ReadAllBytes(MetaDb);
        RepairReport report;
        using (var fs = OpenReadWrite(repairing: true))
        {
            report = fs.Repair(dryRun: false);
        }
        TestContext.Out.WriteLine($"{report.Refused}: {string.Join("; ", report.Unrepaired)}");
        Assert.That(report.Written, Is.False);
        Assert.That(report.Refused, Is.Not.Null);
        Assert.That(report.Unrepaired.Select(v => v.What), Has.Some.StartsWith("meta.db fails SQLite's integrity check"));
        Assert.That(File.ReadAllBytes(MetaDb), Is.EqualTo(damaged).And.Not.EqualTo(before), "nothing written");
        string wal = MetaDb + "-wal";
        Assert.That(File.Exists(wal) ? new FileInfo(wal).Length : 0, Is.Zero, "nor anything left in the log to replay");
    }

    [Test]
    public void LeakedBlocksGoBackToFreeSpace()
    {
        MakeVolume();
        Damage(reseal: false, "DELETE FROM free WHERE start = (SELECT MAX(start) FROM free)");
        Assert.That(RepairAndReopen(), Has.Some.Contains("rebuilt free space"));
    }

    [Test]
    public void FreeSpaceOverMappedBlocksIsTakenBack()
    {
        MakeVolume();
        long physical = Scalar(Inv($"SELECT physical FROM extents WHERE ino = {FileB}"));
        Damage(reseal: false, Inv($"INSERT INTO free(start, length) VALUES ({physical}, 1)"));
        RepairAndReopen();
        using var fs = OpenReadWrite();
        Assert.That(fs.GetExtents(FileB, out var extents), Is.EqualTo(FsError.Ok));
        Assert.That(extents[0].PhysicalOffset, Is.EqualTo(physical * BlockSize), "the file keeps its block");
    }

    [TestCase("UPDATE shared SET refs = 5")]
    [TestCase("DELETE FROM shared")]
    [TestCase("INSERT INTO shared(start, length, refs) VALUES (900, 3, 2)")]
    public void ReferenceCountsAreRebuiltFromTheMappings(string damage)
    {
        MakeVolume();
        Damage(reseal: true, damage);
        Assert.That(RepairAndReopen(), Has.Some.Contains("rebuilt the shared table"));
        using var fs = OpenReadWrite();
        Assert.That(fs.GetExtents(CloneOfA, out var extents), Is.EqualTo(FsError.Ok));
        Assert.That(extents.Select(e => e.ShareCount), Is.All.EqualTo(2));
    }

    /// <summary>The sharing totals the settings keep (format version 5) are checked against the rows and recounted by a repair.</summary>
    [TestCase("shared_blocks")]
    [TestCase("saved_blocks")]
    public void WrongSharingTotalsInTheSettingsAreRecounted(string key)
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE settings SET value = '7' WHERE key = '{key}'"));
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Check().Select(v => v.What), Has.Some.StartsWith("the settings count the wrong number of s").And.Some.EndsWith("blocks"));
        }
        Assert.That(RepairAndReopen(), Has.Some.Contains("recounted the shared (5) and saved (5) blocks"));
    }

    /// <summary>
    /// The mapped block count each inode row keeps (format version 6, st_blocks) is checked against its
    /// extents by both checkers and recounted by a repair; getattr then reports the extents' count.
    /// </summary>
    [Test]
    public void AWrongMappedBlockCountIsRecountedFromTheExtents()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET blocks = 9 WHERE ino = {FileA}"));
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null, "both checkers find the same");
        using (var fs = OpenReadWrite())
        {
            var found = fs.Check();
            Assert.That(found, Has.Count.EqualTo(1));
            Assert.That(found[0].What, Is.EqualTo("the inode counts the wrong number of mapped blocks"));
        }
        Assert.That(RepairAndReopen(), Has.Some.Contains(Inv($"recounted the mapped blocks (5, stored 9) (inode {FileA})")));
        using var repaired = OpenReadWrite();
        Assert.That(repaired.GetAttributes(FileA, out var a), Is.EqualTo(FsError.Ok));
        Assert.That(a.AllocatedBytes, Is.EqualTo(5L * BlockSize));
    }

    [Test]
    public void LinkCountsAreSetFromTheEntries()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET nlink = 7 WHERE ino IN ({FileA}, {Dir})"));
        var repairs = RepairAndReopen();
        Assert.That(repairs, Has.Some.Contains("link count to 1 (was 7)"));
        Assert.That(repairs, Has.Some.Contains("link count to 3 (was 7)"));
    }

    /// <summary>A wrong type in a sealed entry: only the invariant catches it, in the stored check and in the loaded one (changes pending); the repair takes the inode's.</summary>
    [Test]
    public void AnEntryOfTheWrongTypeTakesItsInodes()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE dirents SET type = 4 WHERE ino = {FileB}"));
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Check().Select(v => v.ToString()), Has.One.Contains("entry 'b' has the wrong file type"), "stored check");
        }
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Create(Dir, "pending", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check().Select(v => v.ToString()), Has.One.Contains("entry 'b' has the wrong file type"), "loaded check");
        }
        Assert.That(RepairAndReopen(), Has.One.Contains("set the file type of entry 'b' to its inode's, 8 (was 4)"));
        Assert.That(Scalar(Inv($"SELECT type FROM dirents WHERE ino = {FileB}")), Is.EqualTo(8));
    }

    [Test]
    public void AnUnlinkedInodeWithoutItsOrphanRecordIsReclaimed()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"DELETE FROM dirents WHERE ino = {FileB}"), Inv($"UPDATE inodes SET nlink = 0 WHERE ino = {FileB}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains("reclaimed"));
        Assert.That(Scalar(Inv($"SELECT COUNT(*) FROM inodes WHERE ino = {FileB}")), Is.Zero);
    }

    [Test]
    public void AnOrphanRecordOfNothingIsRemoved()
    {
        MakeVolume();
        Damage(reseal: true, "INSERT INTO orphans(ino) VALUES (555555)");
        Assert.That(RepairAndReopen(), Has.Some.Contains("orphan record"));
    }

    [Test]
    public void AnInodeWithNoNameGoesToLostAndFound()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"DELETE FROM dirents WHERE ino = {FileB}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains("/lost+found"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Resolve("/lost+found/#" + FileB, out var found), Is.EqualTo(FsError.Ok));
        Assert.That(found.Ino, Is.EqualTo(FileB));
        Assert.That(found.Size, Is.EqualTo(1000));
    }

    [Test]
    public void AnEntryToNothingIsRemoved()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"INSERT INTO dirents(parent, key, name, ino, cookie) VALUES ({Dir}, 'GHOST', 'ghost', 999999, 500)"));
        Assert.That(RepairAndReopen(), Has.Some.Contains("'ghost'"));
    }

    [Test]
    public void ADetachedCycleOfDirectoriesGoesToLostAndFound()
    {
        MakeVolume();
        // dir is named only by its own child sub: a cycle the root does not reach.
        Damage(reseal: true, Inv($"UPDATE dirents SET parent = {SubDir}, key = 'LOOP', name = 'loop' WHERE parent = {FileSystem.RootIno} AND ino = {Dir}"));
        RepairAndReopen();
        using var fs = OpenReadWrite();
        Assert.That(fs.Resolve("/lost+found/#" + Dir + "/a", out var a), Is.EqualTo(FsError.Ok));
        Assert.That(a.Ino, Is.EqualTo(FileA));
    }

    [Test]
    public void DuplicateCookiesAreRenumbered()
    {
        MakeVolume();
        Damage(reseal: true, "UPDATE dirents SET cookie = 1 WHERE parent = 1");
        Assert.That(RepairAndReopen(), Has.Some.Contains("cookies"));
        using var fs = OpenReadWrite();
        var names = new List<string>();
        Assert.That(fs.ReadDirectory(FileSystem.RootIno, 0, e => { names.Add(e.Name); return true; }), Is.EqualTo(FsError.Ok));
        Assert.That(names, Is.SupersetOf(RootNames));
    }

    [Test]
    public void NextInoBelowTheInodesIsRaised()
    {
        MakeVolume();
        Damage(reseal: true, "UPDATE settings SET value = '2' WHERE key = 'next_ino'");
        Assert.That(RepairAndReopen(), Has.Some.Contains("next_ino"));
    }

    [Test]
    public void ARowWhoseChecksumFailsButAgreesWithTheRestIsResealed()
    {
        MakeVolume();
        Damage(reseal: false, Inv($"UPDATE inodes SET mtime = mtime + 1 WHERE ino = {FileB}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains($"checksum of the inodes row (ino {FileB})"));
    }

    [Test]
    public void WrittenBlocksPastTheEndOfFileAreUnmapped()
    {
        MakeVolume();
        // a keeps its 5 blocks mapped but says it is one block long.
        Damage(reseal: true, Inv($"UPDATE inodes SET size = {BlockSize} WHERE ino = {FileA}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains("unmapped written blocks 1..4 past the end of file"));
        using var fs = OpenReadWrite();
        Assert.That(fs.GetExtents(FileA, out var extents), Is.EqualTo(FsError.Ok));
        Assert.That(extents.Sum(e => e.Length), Is.EqualTo(BlockSize));
        Assert.That(fs.SetAttributes(FileA, new SetAttributesRequest(SetAttributeFields.Size, Size: 5 * BlockSize), out _), Is.EqualTo(FsError.Ok));
        var tail = new byte[4 * BlockSize];
        Assert.That(fs.Read(FileA, BlockSize, tail, out _), Is.EqualTo(FsError.Ok));
        Assert.That(tail, Is.All.Zero, "an extension reads zeros, not the unmapped blocks");
        Assert.That(fs.GetExtents(CloneOfA, out var clone), Is.EqualTo(FsError.Ok));
        Assert.That(clone.Sum(e => e.Length), Is.EqualTo(5 * BlockSize), "the clone keeps every block");
    }

    [Test]
    public void BytesPastTheEndOfFileInItsLastBlockAreZeroed()
    {
        MakeVolume();
        // b holds 1,000 bytes in its block; at size 500 the other 500 show past its end.
        Damage(reseal: true, Inv($"UPDATE inodes SET size = 500 WHERE ino = {FileB}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains($"zeroed the {BlockSize - 500} bytes past the end of file"));
        using var fs = OpenReadWrite();
        Assert.That(fs.SetAttributes(FileB, new SetAttributesRequest(SetAttributeFields.Size, Size: 1000), out _), Is.EqualTo(FsError.Ok));
        var content = new byte[1000];
        Assert.That(fs.Read(FileB, 0, content, out _), Is.EqualTo(FsError.Ok));
        var expected = new byte[5 * BlockSize];
        new Random(1).NextBytes(expected);
        Assert.That(content.AsSpan(0, 500).ToArray(), Is.EqualTo(expected.AsSpan(0, 500).ToArray()), "the bytes before the end stay");
        Assert.That(content.AsSpan(500).ToArray(), Is.All.Zero);
    }

    [Test]
    public void ADryRunZeroesNoTail()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET size = 500 WHERE ino = {FileB}"));
        string data = Path.Combine(Folder, "data.img");
        string before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(data)));
        using (var fs = OpenReadWrite(repairing: true))
        {
            var report = fs.Repair(dryRun: true);
            Assert.That(report.Refused, Is.Null, string.Join("\n", report.Unrepaired));
            Assert.That(report.Repairs.Select(r => r.What), Has.Some.Contains("zeroed"));
        }
        Assert.That(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(data))), Is.EqualTo(before));
    }

    [TestCase("INSERT INTO xattrs(ino, name, value) VALUES (777777, 'user.ghost', x'01')", "deleted the extended attribute 'user.ghost' of inode 777777", "SELECT COUNT(*) FROM xattrs WHERE ino = 777777")]
    [TestCase("INSERT INTO inode_flags(ino, flags) VALUES (777777, 16)", "deleted the flags of inode 777777", "SELECT COUNT(*) FROM inode_flags WHERE ino = 777777")]
    [TestCase("INSERT INTO security(id, descriptor) VALUES (99, x'0102')", "deleted security descriptor 99, which no inode uses", "SELECT COUNT(*) FROM security WHERE id = 99")]
    public void RowsOfNothingAreDeleted(string damage, string repair, string count)
    {
        MakeVolume();
        Damage(reseal: true, damage);
        Assert.That(RepairAndReopen(), Has.Some.Contains(repair));
        Assert.That(Scalar(count), Is.Zero);
    }

    [Test]
    public void ALookupKeyThatDoesNotMatchItsNameIsSetFromTheName()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE dirents SET key = 'WRONG' WHERE ino = {FileB}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains("set the lookup key of entry 'b'"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Resolve("/B", out var b), Is.EqualTo(FsError.Ok));
        Assert.That(b.Ino, Is.EqualTo(FileB));
    }

    [Test]
    public void NamesThatCollideKeepTheEarlierAndRenameTheLater()
    {
        MakeVolume();
        // clone (made before b) is respelled 'B' under a wrong key: its right key is b's.
        Damage(reseal: true, Inv($"UPDATE dirents SET key = 'WRONG', name = 'B' WHERE ino = {CloneOfA}"));
        Assert.That(RepairAndReopen(), Has.Some.Contains($"renamed entry 'b' (inode {FileB}) to 'b~{FileB}'"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Resolve("/b", out var clone), Is.EqualTo(FsError.Ok));
        Assert.That(clone.Ino, Is.EqualTo(CloneOfA));
        Assert.That(fs.Resolve($"/b~{FileB}", out var b), Is.EqualTo(FsError.Ok));
        Assert.That(b.Ino, Is.EqualTo(FileB));
    }

    [Test]
    public void ADryRunWritesNothing()
    {
        MakeVolume();
        Damage(reseal: true, "DELETE FROM shared");
        string before = Hash();
        using (var fs = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero, Repairing = true }))
        {
            var report = fs.Repair(dryRun: true);
            Assert.That(report.Refused, Is.Null);
            Assert.That(report.Written, Is.False);
            Assert.That(report.Repairs.Select(r => r.What), Has.Some.Contains("rebuilt the shared table"));
        }
        Assert.That(Hash(), Is.EqualTo(before));
    }

    [Test]
    public void AnImpossibleExtentMapIsRefusedAndNothingIsWritten()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE extents SET physical = 1000000000 WHERE ino = {FileB}"));
        AssertRefused("extent outside the volume");
    }

    [Test]
    public void ADamagedRowOnAVolumeWithOtherProblemsIsRefused()
    {
        MakeVolume();
        // The inode row's checksum fails and its link count disagrees: which one is wrong cannot be told.
        Damage(reseal: false, Inv($"UPDATE inodes SET nlink = 3 WHERE ino = {FileB}"));
        var report = AssertRefused("row does not match its checksum");
        Assert.That(report.Refused, Does.Contain($"inodes row (ino {FileB})"));
    }

    private RepairReport AssertRefused(string problem)
    {
        string before = Hash();
        RepairReport report;
        using (var fs = OpenReadWrite(repairing: true))
        {
            report = fs.Repair(dryRun: false);
        }
        Assert.That(report.Refused, Is.Not.Null);
        Assert.That(report.Written, Is.False);
        Assert.That(report.Unrepaired.Select(v => v.What), Has.Some.Contains(problem));
        Assert.That(Hash(), Is.EqualTo(before), "a refused repair wrote something");
        return report;
    }

    private string Hash() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(MetaDb)));
}
