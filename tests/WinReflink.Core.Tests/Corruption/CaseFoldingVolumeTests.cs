using WinReflink.Core.Errors;
using WinReflink.Core.Volume;
using static WinReflink.Core.Tests.Corruption.VolumeDamage;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>The case folding lives in the volume (format 3): a newer runtime keeps the names an older one stored.</summary>
public class CaseFoldingVolumeTests : DamagedVolumeFixture
{
    [Test]
    public void ANewCaseInsensitiveVolumeStoresTheFoldingItUses()
    {
        MakeVolume();
        Assert.That(Texts(MetaDb, "SELECT value FROM settings WHERE key = 'case_folding'").Single(),
            Is.EqualTo(Namespace.CaseFolding.Runtime.Serialize()));
        Assert.That(Scalar("SELECT value FROM settings WHERE key = 'format_version'"), Is.EqualTo(VolumeSettings.CurrentFormatVersion));
    }

    [Test]
    public void ACaseSensitiveVolumeStoresNoFolding()
    {
        MakeVolume(caseSensitive: true);
        Assert.That(Texts(MetaDb, "SELECT value FROM settings WHERE key = 'case_folding'"), Is.Empty);
    }

    [Test]
    public void LookupsFollowTheStoredFoldingNotTheRuntimes()
    {
        MakeVolume();
        // As if an older runtime made the volume: it folded ASCII only.
        string asciiOnly = "simple-upper-1;" + string.Join(",", Enumerable.Range('a', 26).Select(c => Inv($"{c:X}={c - 32:X}")));
        Damage(reseal: true, Inv($"UPDATE settings SET value = '{asciiOnly}' WHERE key = 'case_folding'"));
        using var fs = OpenReadWrite();
        Assert.That(fs.Damage, Is.Null);
        Assert.That(fs.Create(Dir, "é", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Create(Dir, "É", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.Ok), "é and É are two names under the stored folding");
        Assert.That(fs.Create(Dir, "A", new CreateRequest(0x81A4, 0, 0), out _), Is.EqualTo(FsError.Exists), "a and A are one name under it");
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void AVersion2VolumeGetsItsFoldingStoredWhenOpenedForWriting()
    {
        MakeVolume();
        Damage(reseal: true, "DELETE FROM settings WHERE key = 'case_folding'", "UPDATE settings SET value = '2' WHERE key = 'format_version'");
        WithoutVersion6Columns(MetaDb);
        using (var ro = FileSystem.Open(Folder, new OpenOptions { ReadOnly = true, CommitInterval = TimeSpan.Zero }))
        {
            Assert.That(ro.Info().FormatVersion, Is.EqualTo(2));
            Assert.That(ro.Lookup(Dir, "A", out var a), Is.EqualTo(FsError.Ok), "read as the runtime folds");
            Assert.That(a.Ino, Is.EqualTo(FileA));
        }
        Assert.That(Texts(MetaDb, "SELECT value FROM settings WHERE key = 'case_folding'"), Is.Empty, "a read-only open does not upgrade");
        using (var fs = OpenReadWrite())
        {
            Assert.That(fs.Info().FormatVersion, Is.EqualTo(VolumeSettings.CurrentFormatVersion));
            Assert.That(fs.Check(), Is.Empty);
        }
        Assert.That(Texts(MetaDb, "SELECT value FROM settings WHERE key = 'case_folding'").Single(),
            Is.EqualTo(Namespace.CaseFolding.Runtime.Serialize()));
    }

    [Test]
    public void AnUpgradeFromVersion2KeepsFindingDamagedRows()
    {
        MakeVolume();
        Damage(reseal: true, "DELETE FROM settings WHERE key = 'case_folding'", "UPDATE settings SET value = '2' WHERE key = 'format_version'");
        WithoutVersion6Columns(MetaDb);
        Damage(reseal: false, Inv($"UPDATE inodes SET uid = 77 WHERE ino = {FileB}"));
        using var fs = OpenReadWrite();
        fs.Check();
        Assert.That(fs.Damage, Does.Contain($"inodes row (ino {FileB})"), "the upgrade reseals only the rows it writes");
    }

    [Test]
    public void AnInvalidStoredFoldingIsNamedAsCorruption()
    {
        MakeVolume();
        Damage(reseal: true, "UPDATE settings SET value = 'simple-upper-1;61=10400' WHERE key = 'case_folding'");
        var e = Assert.Throws<VolumeException>(() => OpenReadWrite().Dispose());
        Assert.That(e!.Message, Does.Contain("case_folding").And.Contain("corrupt"));
    }
}
