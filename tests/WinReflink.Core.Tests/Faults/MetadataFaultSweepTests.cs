using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Faults;

/// <summary>
/// The <see cref="FaultScenario"/> of <see cref="FaultSweepTests"/>, with the fault under SQLite
/// instead of in the data file: run once for every write, sync and truncate SQLite makes on meta.db,
/// its WAL or any other file of the volume (<see cref="SqliteFaultVfs"/>), with the host's EIO or
/// ENOSPC injected at that call. Same assertions: the failing call answers an error and stops the
/// volume, no fsync or close ever answers Ok for changes that are not on disk, and after reopening
/// (without the fault) everything committed is there and `check` is clean.
/// </summary>
public class MetadataFaultSweepTests : VolumeFixture
{
    private sealed record RunResult(int Writes, int Syncs, int Truncates, bool Fired, bool Landed);

    private static IEnumerable<TestCaseData> Points()
    {
        foreach (var (site, error, name) in new[]
        {
            (SqliteFaultSite.Write, SqliteFaultVfs.IoErrWrite, "SQLITE_IOERR_WRITE"),
            (SqliteFaultSite.Write, SqliteFaultVfs.Full, "SQLITE_FULL"),
            (SqliteFaultSite.Sync, SqliteFaultVfs.IoErrFsync, "SQLITE_IOERR_FSYNC"),
            (SqliteFaultSite.Truncate, SqliteFaultVfs.IoErrTruncate, "SQLITE_IOERR_TRUNCATE"),
            (SqliteFaultSite.Truncate, SqliteFaultVfs.Full, "SQLITE_FULL"),
        })
        {
            yield return new TestCaseData(site, error, false).SetName($"SQLite {site} faults: {name}");
        }
        // A disk that stays full or broken: the fault and every later call at that site fail, so
        // SQLite's rollback and the close-time checkpoint fail too.
        foreach (var (site, error, name) in new[]
        {
            (SqliteFaultSite.Write, SqliteFaultVfs.Full, "SQLITE_FULL"),
            (SqliteFaultSite.Sync, SqliteFaultVfs.IoErrFsync, "SQLITE_IOERR_FSYNC"),
        })
        {
            yield return new TestCaseData(site, error, true).SetName($"SQLite {site} faults from one call on: {name}");
        }
    }

    [OneTimeSetUp]
    public static void InstallFaultVfs() => SqliteFaultVfs.EnsureInstalled();

    [TestCaseSource(nameof(Points))]
    public void EveryMetadataFaultPointKeepsWhatWasCommitted(SqliteFaultSite site, int error, bool persist)
    {
        int total = 0, landed = 0;
        foreach (int seed in FaultScenario.Seeds())
        {
            // The counts come from a run without faults; a sweep past them would inject nothing.
            var clean = Run(seed, site, 0, error, persist);
            int points = site switch
            {
                SqliteFaultSite.Write => clean.Writes,
                SqliteFaultSite.Sync => clean.Syncs,
                _ => clean.Truncates,
            };
            Assert.That(clean.Writes, Is.GreaterThan(5), "the scenario commits to meta.db");
            Assert.That(clean.Syncs, Is.GreaterThan(1), "the scenario makes commits durable");
            for (int k = 1; k <= points; k++)
            {
                var result = Run(seed, site, k, error, persist);
                Assert.That(result.Fired, Is.True, $"seed {seed}: SQLite fault {site} #{k} was not reached");
                landed += result.Landed ? 1 : 0;
            }
            total += points;
        }
        TestContext.Out.WriteLine($"{total} SQLite {site} fault points{(persist ? " (failing from there on)" : "")}, each run to the end and reopened; in {landed} the commit reported failed was found after the reopen");
    }

    /// <summary>
    /// The defect the sweep found: the store forgot which inodes had changed before SQLite's commit
    /// returned, so when the WAL's fsync failed, a later fsync of a changed file answered Ok.
    /// </summary>
    [Test]
    public void AFailedWalSyncLeavesEveryChangedFileFailingItsFsync()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        long a, b;
        using (var fs = Reopen())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "a", new CreateRequest(0x81A4, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
            a = attr.Ino;
            Assert.That(fs.Create(FileSystem.RootIno, "b", new CreateRequest(0x81A4, 0, 0), out attr), Is.EqualTo(FsError.Ok));
            b = attr.Ino;
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Write(a, 0, new byte[10_000], out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Write(b, 0, new byte[10_000], out _), Is.EqualTo(FsError.Ok));
            SqliteFaultVfs.Arm(Folder, SqliteFaultSite.Sync, 1, SqliteFaultVfs.IoErrFsync);
            try
            {
                Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io));
                Assert.That(SqliteFaultVfs.Fired, Is.True, "the commit syncs the WAL");
            }
            finally
            {
                SqliteFaultVfs.Disarm();
            }
            Assert.That(fs.Fsync(a), Is.EqualTo(FsError.Io), "a's changes are lost");
            Assert.That(fs.Fsync(b), Is.EqualTo(FsError.Io), "b's changes are lost");
            Assert.That(fs.Flush(b), Is.EqualTo(FsError.Io), "close of b");
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Io));
        }
        using (var again = Reopen())
        {
            Assert.That(again.GetAttributes(a, out var attr), Is.EqualTo(FsError.Ok));
            Assert.That(attr.Size, Is.Zero, "the failed commit did not reach meta.db");
            Assert.That(again.Check(), Is.Empty);
        }
    }

    private RunResult Run(int seed, SqliteFaultSite site, int failAt, int error, bool persist)
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var scenario = new FaultScenario(seed, $"SQLite fault {site} #{failAt}{(persist ? " and on" : "")} ({error})");
        RunResult result;
        bool landed;
        using (var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 1L << 20,
            DirtyLimitBytes = 128L << 10,
        }))
        {
            SqliteFaultVfs.Arm(Folder, site, failAt, error, persist);
            try
            {
                scenario.Run(fs);
                fs.Dispose();
            }
            finally
            {
                SqliteFaultVfs.Disarm();
            }
            result = new RunResult(SqliteFaultVfs.Count(SqliteFaultSite.Write), SqliteFaultVfs.Count(SqliteFaultSite.Sync), SqliteFaultVfs.Count(SqliteFaultSite.Truncate), SqliteFaultVfs.Fired, false);
            if (fs.Failure == null)
            {
                scenario.AllCommitted();
            }
        }
        using (var again = Reopen())
        {
            landed = scenario.Verify(again, failedCommitMayHaveLanded: persist);
        }
        return result with { Landed = landed };
    }
}
