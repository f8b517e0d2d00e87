using WinReflink.Core.Errors;
using WinReflink.Core.Volume;
using static WinReflink.Core.Tests.Corruption.VolumeDamage;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// One test per defect the damaged-volume runs found in the load path and the checker: each plants the
/// damage that exposed it and expects the volume refused, or opened read-only with the problem named.
/// </summary>
public class LoadValidationTests : DamagedVolumeFixture
{
    /// <summary>
    /// Open used to accept any metadata SQLite could read and write on top of it; the mount then wrote
    /// into a broken tree. Open no longer reads every row (issue 11), so the damage is found by `check`,
    /// which then stops the volume taking changes.
    /// </summary>
    [Test]
    public void ADamagedVolumeTakesNoChangesOnceCheckFindsTheDamage()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE dirents SET ino = 987654 WHERE parent = {Dir} AND key = 'A'"));
        using var fs = OpenReadWrite();
        var found = fs.Check();
        Assert.That(found.Where(v => v.What.Contains("names an inode that does not exist", StringComparison.Ordinal)).Select(v => v.Ino), Has.Member(Dir));
        Assert.That(fs.IsReadOnly, Is.True);
        Assert.That(fs.Damage, Does.Contain($"{found.Count} problems"));
        Assert.That(fs.Create(FileSystem.RootIno, "new", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.ReadOnly));
    }

    [Test]
    public void DuplicateReaddirCookiesAreReported()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE dirents SET cookie = 1 WHERE parent = {Dir}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Check().Where(v => v.What.Contains("readdir cookie", StringComparison.Ordinal)).Select(v => v.Ino), Has.Some.EqualTo(Dir));
        Assert.That(fs.Damage, Does.Contain("readdir cookie"));
    }

    /// <summary>The checker computed the file's block count with an overflowing sum and reported a "written extent past end of file" below block -2^51.</summary>
    [Test]
    public void ASizePastTheMaximumIsReportedAsSuch()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET size = {long.MaxValue} WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        var found = fs.Check();
        Assert.That(found.Where(v => v.What == "size out of range").Select(v => v.Ino), Is.EqualTo(new long?[] { FileB }));
        Assert.That(found.Select(v => v.Expected), Has.None.Contains("-"), "no overflowed figure in the report");
    }

    /// <summary>
    /// An orphan's row resealed with a size past the maximum was destroyed by the read-write open's
    /// orphan reclaim, unreported (a long run of the damaged-volume corpus, seed 2543). Each load now
    /// holds the row to the check's rules for type and size: the volume opens read-only with the row
    /// named, and the row and its orphan record are still there for `check` to report.
    /// </summary>
    [Test]
    public void AnOrphanWithAnImpossibleSizeIsNotReclaimedUnreported()
    {
        MakeVolume();
        long orphan;
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "open-and-unlinked", new CreateRequest(0x81A4, 0, 0), out var created), Is.EqualTo(FsError.Ok));
            orphan = created.Ino;
            Assert.That(fs.OpenInode(orphan), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Unlink(FileSystem.RootIno, "open-and-unlinked"), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            fs.SimulateCrash();
        }
        Damage(reseal: true, Inv($"UPDATE inodes SET size = {(1L << 50) + 1} WHERE ino = {orphan}"));
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.IsReadOnly, Is.True);
            Assert.That(fs.Failure, Does.Contain($"inodes row (ino {orphan}): size out of range"));
            Assert.That(fs.Check().Where(v => v.What == "size out of range").Select(v => v.Ino), Is.EqualTo(new long?[] { orphan }));
        }
        Assert.That(Longs(MetaDb, Inv($"SELECT (SELECT count(*) FROM inodes WHERE ino = {orphan}) + (SELECT count(*) FROM orphans WHERE ino = {orphan})")),
            Is.EqualTo(new long[] { 2 }), "the row and its orphan record are kept");
    }

    [Test]
    public void AValueChangedInsideARowFailsItsChecksum()
    {
        MakeVolume();
        Damage(reseal: false, Inv($"UPDATE inodes SET mtime = mtime + 1 WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        var found = fs.Check();
        Assert.That(fs.IsReadOnly, Is.True);
        Assert.That(fs.Damage, Does.Contain($"inodes row (ino {FileB})"));
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0].Invariant, Is.EqualTo(9));
        Assert.That(found[0].What, Does.Contain("checksum").And.Contain($"ino {FileB}"));
    }

    [Test]
    public void AnExtentRowMovedToAnotherFileFailsItsChecksum()
    {
        MakeVolume();
        Damage(reseal: false, Inv($"UPDATE extents SET ino = {FileB}, logical = 7 WHERE ino = {FileA}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Check().Where(v => v.Invariant == 9).Select(v => v.What), Has.Some.Contains($"extents row (ino {FileB}, logical 7)"));
    }

    /// <summary>The setting was narrowed to int before any check: 2^32 + 4096 became a valid-looking 4096.</summary>
    [Test]
    public void ABlockSizeThatWrapsInto32BitsIsRefused()
    {
        MakeVolume();
        Damage(reseal: true, "UPDATE settings SET value = '4294971392' WHERE key = 'block_size'");
        var e = Assert.Throws<VolumeException>(() => OpenReadWrite().Dispose());
        Assert.That(e!.Message, Does.Contain("block_size").And.Contain("4294971392"));
    }

    /// <summary>capacity × block size overflowed, so the truncated-data-file check passed on any data.img.</summary>
    [Test]
    public void ACapacityThatOverflowsTheDataFileSizeIsRefused()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE settings SET value = '{1L << 62}' WHERE key = 'capacity_blocks'"));
        var e = Assert.Throws<VolumeException>(() => OpenReadWrite().Dispose());
        Assert.That(e!.Message, Does.Contain("impossible settings").And.Contain("meta.db"));
    }

    /// <summary>refs was narrowed to int at load: 2^32 + 2 read as a correct 2. Open reads no shared row (format version 5): `check` finds it.</summary>
    [Test]
    public void AReferenceCountPast32BitsIsReported()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE shared SET refs = {(1L << 32) + 2}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Damage, Is.Null, "open reads no shared row");
        Assert.That(fs.Check().Select(v => v.What), Has.Some.Contain("refs 4294967298"));
        Assert.That(fs.IsReadOnly, Is.True);
    }

    /// <summary>
    /// A damaged shared row, which open no longer reads, is found when a call first touches its blocks:
    /// the call fails and the volume stops taking changes, naming the row, as for an inode's row.
    /// </summary>
    [Test]
    public void ADamagedSharedRowFoundWhenItsBlocksAreFirstTouchedStopsTheVolume()
    {
        MakeVolume();
        Damage(reseal: false, "UPDATE shared SET refs = refs + 1");
        using var fs = OpenReadWrite();
        Assert.That(fs.IsReadOnly, Is.False, "open reads no shared row");
        Assert.That(fs.Write(CloneOfA, 0, new byte[100], out _), Is.EqualTo(FsError.Io), "the write's copy-on-write check reads the row");
        Assert.That(fs.IsReadOnly, Is.True);
        Assert.That(fs.Failure, Does.Contain("checksum").And.Contain("shared row"));
        Assert.That(fs.GetExtents(FileA, out _), Is.EqualTo(FsError.Corrupt), "the share counts of a listing read it too");
    }

    /// <summary>physical + length overflowed to a negative number and passed the inside-the-volume test.</summary>
    [Test]
    public void AnExtentWhoseEndOverflowsIsOutsideTheVolume()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE extents SET physical = {long.MaxValue} WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Check().Where(v => v.What == "extent outside the volume").Select(v => v.Ino), Is.EqualTo(new long?[] { FileB }));
    }

    /// <summary>Attributes of an inode that does not exist were dropped at load without a word.</summary>
    [Test]
    public void ExtendedAttributesOfAMissingInodeAreReported()
    {
        MakeVolume();
        Damage(reseal: true, "INSERT INTO xattrs(ino, name, value) VALUES (31337, 'user.x', x'01')");
        using var fs = OpenReadWrite();
        fs.Check();
        Assert.That(fs.Damage, Does.Contain("extended attribute 'user.x' of inode 31337"));
    }

    /// <summary>
    /// A damaged row of an inode that open did not read is found when the inode is first touched: the
    /// call fails with an I/O error and the volume stops taking changes, naming the row, as XFS shuts
    /// down on a metadata block that fails its verifier.
    /// </summary>
    [Test]
    public void ADamagedRowFoundWhenItsInodeIsFirstTouchedStopsTheVolume()
    {
        MakeVolume();
        Damage(reseal: false, Inv($"UPDATE inodes SET mtime = mtime + 1 WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.IsReadOnly, Is.False, "open reads no inode row but the root's");
        Assert.That(fs.Lookup(FileSystem.RootIno, "b", out _), Is.EqualTo(FsError.Corrupt));
        Assert.That(fs.IsReadOnly, Is.True);
        Assert.That(fs.Failure, Does.Contain("checksum").And.Contain($"ino {FileB}"));
        Assert.That(fs.Create(FileSystem.RootIno, "new", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.ReadOnly));
    }

    /// <summary>Extended attributes load in one query with the flags; their rows are verified there as the inode's own row is.</summary>
    [TestCase(false, "UPDATE xattrs SET value = x'02'", "xattrs row")]
    [TestCase(true, "UPDATE xattrs SET value = 'text'", "holds text where a blob belongs")]
    public void ADamagedExtendedAttributeRowFoundWhenItsInodeIsFirstTouchedStopsTheVolume(bool reseal, string damage, string named)
    {
        MakeVolume();
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.SetXattr(FileB, "user.x", [1], XattrFlags.None), Is.EqualTo(FsError.Ok));
            Assert.That(fs.SetFlags(FileB, InodeFlags.NoDump, privileged: true), Is.EqualTo(FsError.Ok));
        }
        Damage(reseal, Inv($"{damage} WHERE ino = {FileB}"));
        using var reopened = OpenReadWrite();
        Assert.That(reopened.Lookup(FileSystem.RootIno, "b", out _), Is.EqualTo(FsError.Corrupt));
        Assert.That(reopened.IsReadOnly, Is.True);
        Assert.That(reopened.Failure, Does.Contain(named).And.Contain($"{FileB}"));
    }

    [Test]
    public void AnUnknownFileTypeIsReported()
    {
        MakeVolume();
        Damage(reseal: true, Inv($"UPDATE inodes SET mode = {0xF1A4} WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Check().Where(v => v.What == "unknown file type").Select(v => v.Ino), Is.EqualTo(new long?[] { FileB }));
    }

    /// <summary>
    /// A directory removed while open is an orphan with no name and nlink 0 until the next open reclaims
    /// it; check called that a broken tree, and with open's validation it would have kept the volume read-only.
    /// </summary>
    [Test]
    public void ADirectoryRemovedWhileOpenIsNotDamage()
    {
        MakeVolume();
        long gone;
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Mkdir(FileSystem.RootIno, "gone", new CreateRequest(0x41ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok));
            gone = dir.Ino;
            Assert.That(fs.OpenInode(gone), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Rmdir(FileSystem.RootIno, "gone"), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            fs.SimulateCrash();
        }
        Assert.That(Scalar(Inv($"SELECT COUNT(*) FROM orphans WHERE ino = {gone}")), Is.EqualTo(1), "the crash left the orphan record");
        using (var readOnly = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(readOnly.Damage, Is.Null);
            Assert.That(readOnly.Check(), Is.Empty);
        }
        using var fs2 = OpenReadWrite();
        Assert.That(fs2.IsReadOnly, Is.False);
        Assert.That(fs2.Check(), Is.Empty);
        Assert.That(Scalar(Inv($"SELECT COUNT(*) FROM inodes WHERE ino = {gone}")), Is.Zero, "reclaimed at open");
    }

    /// <summary>SQLite quotes a malformed schema back with its line breaks, and the VolumeException carried them (seed 21144 of the damaged-volume runs).</summary>
    [Test]
    public void AMalformedSchemaIsRefusedInOneLine()
    {
        MakeVolume();
        Sql(MetaDb, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(sql, 'secid INTEGER', '`secid INTEGER') WHERE name = 'inodes'");
        var e = Assert.Throws<VolumeException>(() => OpenReadWrite().Dispose());
        Assert.That(e!.Message, Does.Contain("meta.db").And.Contain("malformed"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }
}
