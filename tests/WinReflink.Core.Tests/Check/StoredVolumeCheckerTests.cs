using System.Globalization;
using WinReflink.Core.Check;
using WinReflink.Core.Errors;
using WinReflink.Core.Metadata;
using WinReflink.Core.Tests.Corruption;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Check;

/// <summary>
/// The stored check finds what the loaded check finds, on the damaged-volume corpus and on volumes
/// the model exerciser leaves; holds no more coverage than its sort-run size on a volume of 100,000
/// files; and reports progress up to its total.
/// </summary>
public class StoredVolumeCheckerTests : VolumeFixture
{
    private static PristineVolume? _caseInsensitive;
    private static PristineVolume? _caseSensitive;

    [OneTimeSetUp]
    public void BuildPristineVolumes()
    {
        _caseInsensitive = PristineVolume.Build(caseSensitive: false);
        _caseSensitive = PristineVolume.Build(caseSensitive: true);
    }

    /// <summary>
    /// The corpus of DamagedVolumeTests (same seeds, same kinds): wherever the load reads the damaged
    /// volume, both checks report the same (invariant, what, inode) multiset.
    /// WINREFLINK_CORRUPTION_CASES and WINREFLINK_CORRUPTION_SEED choose the cases, as there.
    /// </summary>
    [Test]
    public void AgreesWithTheLoadedCheckOnEveryDamagedVolume()
    {
        int cases = EnvironmentInt("WINREFLINK_CORRUPTION_CASES", 320);
        int firstSeed = EnvironmentInt("WINREFLINK_CORRUPTION_SEED", 1);
        var kinds = Enum.GetValues<DamageKind>();
        var failures = new List<string>();
        int compared = 0, withViolations = 0;
        for (int i = 0; i < cases; i++)
        {
            int seed = firstSeed + i;
            var kind = kinds[i % kinds.Length];
            var pristine = seed % 4 == 3 ? _caseSensitive! : _caseInsensitive!;
            string folder = Path.Combine(Path.GetTempPath(), "wrl-stored-check-" + Guid.NewGuid().ToString("N"));
            try
            {
                pristine.WriteTo(folder);
                var damage = VolumeDamage.Apply(folder, kind, new Random(seed));
                string? difference = StoredCheckComparison.Difference(folder);
                if (difference != null)
                {
                    failures.Add($"seed {seed} ({kind}: {damage.What}): {difference}");
                }
                if (Loads(folder, out int violations))
                {
                    compared++;
                    withViolations += violations > 0 ? 1 : 0;
                }
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        TestContext.Out.WriteLine($"{compared} of {cases} damaged volumes load; {withViolations} of them have violations");
        Assert.That(withViolations, Is.GreaterThan(cases / 4), "the corpus should hold many volumes with violations to compare");
        Assert.That(failures, Is.Empty, $"{failures.Count} cases differ:\n" + string.Join("\n", failures.Take(20)));
    }

    private static bool Loads(string folder, out int violations)
    {
        string metaDb = Path.Combine(folder, "meta.db");
        try
        {
            using var store = MetadataStore.Open(metaDb, readOnly: true);
            var settings = store.LoadSettings(metaDb);
            violations = new VolumeChecker(store.LoadState(settings, metaDb, loader: null), settings.BlockSize, null).Run().Count;
            return true;
        }
        catch (Volume.VolumeException)
        {
            violations = 0;
            return false;
        }
    }

    [TestCase(1, "Model")]
    [TestCase(2, "Namespace")]
    [TestCase(3, "Full")]
    public void AgreesWithTheLoadedCheckAfterAModelRun(int seed, string profile)
    {
        var chosen = profile switch
        {
            "Namespace" => ExerciserProfile.Namespace,
            "Full" => ExerciserProfile.Full,
            _ => ExerciserProfile.Model,
        };
        ModelExerciser.Run(Folder, seed, 600, chosen);
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null);
        var settings = Settings(Folder);
        Assert.That(StoredVolumeChecker.Run(Path.Combine(Folder, "meta.db"), settings, null, null), Is.Empty, "the exerciser leaves a sound volume");
    }

    /// <summary>
    /// 100,000 files (and 100,000 mappings, some shared) checked with runs of 10,000 coverage pairs:
    /// the check holds no more than a run and the merge's read buffers, finds the volume sound, and
    /// then finds a block mapped twice without a shared row. Prints the managed heap's peak during the check.
    /// </summary>
    [Test]
    public void HoldsAtMostASortRunOnAVolumeOfManyFiles()
    {
        const int Files = 100_000;
        const int RunRows = 10_000;
        using (var fs = FormatAndOpen(size: 2L << 30))
        {
            var data = new byte[100];
            long dir = 0;
            for (int i = 0; i < Files; i++)
            {
                if (i % 10_000 == 0)
                {
                    Assert.That(fs.Mkdir(FileSystem.RootIno, "d" + (i / 10_000).ToString(CultureInfo.InvariantCulture), new CreateRequest(0x41ED, 0, 0), out var d), Is.EqualTo(FsError.Ok));
                    dir = d.Ino;
                }
                Assert.That(fs.Create(dir, "f" + i.ToString(CultureInfo.InvariantCulture), new CreateRequest(0x81A4, 0, 0), out var f), Is.EqualTo(FsError.Ok));
                // Different bytes in every file: copy recognition would share equal blocks.
                BitConverter.TryWriteBytes(data, i);
                Assert.That(fs.Write(f.Ino, 0, data, out _), Is.EqualTo(FsError.Ok));
                if (i % 100 == 99)
                {
                    Assert.That(fs.CloneRange(f.Ino, 0, f.Ino, 4096, 4096, out _), Is.EqualTo(FsError.Ok));
                }
                if (i % 5000 == 4999)
                {
                    Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
                }
            }
        }
        string metaDb = Path.Combine(Folder, "meta.db");
        var settings = Settings(Folder);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long peakHeap = heapBefore;
        var calls = new List<CheckProgress>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var found = StoredVolumeChecker.Run(metaDb, settings, null, p =>
        {
            calls.Add(p);
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
        }, RunRows, out long held);
        TestContext.Out.WriteLine($"{Files} files checked in {watch.ElapsedMilliseconds} ms holding at most {held} rows; managed heap {heapBefore >> 20} MiB before, at most {peakHeap >> 20} MiB during the check");
        Assert.That(found, Is.Empty);
        long bound = RunRows + (long)ExternalSort.MaxFanIn * ExternalSort.ReadBufferPairs + 1;
        Assert.That(held, Is.GreaterThan(RunRows / 2).And.LessThanOrEqualTo(bound), "the coverage was sorted in runs, not whole");
        Assert.That(calls, Has.Count.GreaterThan(10), "progress is reported as the check goes");
        Assert.That(calls[^1].Done, Is.EqualTo(calls[^1].Total));
        var counted = calls.SkipWhile(c => c.Phase == "counting rows").ToList();
        Assert.That(calls.TakeWhile(c => c.Phase == "counting rows").All(c => c.Total == 0 && c.Done == 0), Is.True, "no total before the rows are counted");
        Assert.That(counted.Zip(counted.Skip(1)).All(p => p.Second.Done >= p.First.Done && p.Second.Total == p.First.Total && p.Second.Done <= p.Second.Total), Is.True, "progress only grows, to the total");
        AssertEveryPhaseReportsAsItGoes(calls);

        // One file's block mapped by another as well, with no shared row: invariant 1 and 2 both see it.
        VolumeDamage.Sql(metaDb, "UPDATE extents SET physical = (SELECT physical FROM extents WHERE ino = 5 AND logical = 0) WHERE ino = 6 AND logical = 0");
        RowChecksums.ResealAll(metaDb);
        var damaged = StoredVolumeChecker.Run(metaDb, settings, null, null, RunRows, out _);
        Assert.That(damaged.Select(v => v.Invariant), Does.Contain(1).And.Contain(2));
        Assert.That(damaged.Where(v => v.Invariant == 1).Select(v => v.Ino), Does.Contain(5L), "the lowest inode mapping the block is named");
    }

    /// <summary>
    /// Each phase starts at 0, ends once at its total (no phase twice), never reports more than its
    /// total, and the long ones report in between: those SQLite does in one statement (its integrity
    /// check) through SQLite's progress handler, the others as rows are read.
    /// </summary>
    private static void AssertEveryPhaseReportsAsItGoes(List<CheckProgress> calls)
    {
        string[] expected = ["counting rows", "SQLite integrity check", "settings and security descriptors", "directory tree", "directory entries",
            "inodes, extents and names", "shared ranges", "free ranges"];
        Assert.That(calls.Select(c => c.Phase).Distinct(), Is.EqualTo(expected), "the phases in order, each once (no data reader: no partial last blocks)");
        Assert.That(calls.Where(c => c.Ended).Select(c => c.Phase), Is.EqualTo(expected), "each phase ends once");
        Assert.That(calls.All(c => c.PhaseDone <= c.PhaseTotal), Is.True, "a phase reports no more than its total");
        foreach (var phase in calls.GroupBy(c => c.Phase))
        {
            Assert.That(phase.First().PhaseDone, Is.Zero, phase.Key + " starts at 0");
            Assert.That(phase.Last().Ended && phase.Last().PhaseDone == phase.Last().PhaseTotal, Is.True, phase.Key + " ends at its total");
            Assert.That(phase.Zip(phase.Skip(1)).All(p => p.Second.PhaseDone >= p.First.PhaseDone), Is.True, phase.Key + " only grows");
        }
        foreach (string phase in (string[])["SQLite integrity check", "inodes, extents and names", "shared ranges"])
        {
            var between = calls.Where(c => c.Phase == phase && !c.Ended && c.PhaseDone > 0).ToList();
            Assert.That(between, Has.Count.GreaterThan(3), phase + " reports as it goes");
        }
    }

    /// <summary>
    /// Files whose partial last blocks lie next to one another, far apart, and shared by two files:
    /// checked in physical order, several from one read, the stored check names exactly the files
    /// with bytes past their end, as the loaded check does.
    /// </summary>
    [Test]
    public void FindsBytesPastTheEndOfFilesReadTogether()
    {
        var damaged = new List<long>();
        long clone;
        using (var fs = FormatAndOpen(size: 256L << 20))
        {
            var inos = new List<long>();
            for (int i = 0; i < 300; i++)
            {
                Assert.That(fs.Create(FileSystem.RootIno, "f" + i.ToString(CultureInfo.InvariantCulture), new CreateRequest(0x81A4, 0, 0), out var f), Is.EqualTo(FsError.Ok));
                // Every tenth file is long, so the last blocks lie in runs with gaps of 20 blocks between them.
                var data = new byte[i % 10 == 0 ? 20 * 4096 + 100 : 100 + i];
                data.AsSpan().Fill((byte)(i % 200 + 1));
                Assert.That(fs.Write(f.Ino, 0, data, out _), Is.EqualTo(FsError.Ok));
                inos.Add(f.Ino);
            }
            Assert.That(fs.Create(FileSystem.RootIno, "clone", new CreateRequest(0x81A4, 0, 0), out var c), Is.EqualTo(FsError.Ok));
            Assert.That(fs.CloneRange(inos[151], 0, c.Ino, 0, 4096, out _), Is.EqualTo(FsError.Ok));
            clone = c.Ino;
            damaged.AddRange([inos[3], inos[4], inos[151], inos[299]]);
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        }
        string metaDb = Path.Combine(Folder, "meta.db");
        var settings = Settings(Folder);
        // The clone ends where the file it shares a block with ends (sound); the damaged files end
        // after 7 bytes, their old bytes now past their end.
        VolumeDamage.Sql(metaDb, $"UPDATE inodes SET size = 251 WHERE ino = {clone}; UPDATE inodes SET size = 7 WHERE ino IN ({string.Join(", ", damaged)})");
        RowChecksums.ResealAll(metaDb);
        Assert.That(StoredCheckComparison.Difference(Folder), Is.Null);
        var found = StoredVolumeChecker.Run(metaDb, settings, StoredCheckComparison.DataReader(Folder, settings.BlockSize), null);
        Assert.That(found.Select(v => v.What), Is.All.EqualTo("bytes past end of file are not zero"), "nothing else is wrong");
        Assert.That(found.Select(v => v.Ino!.Value).Order(), Is.EqualTo(damaged.Order()));
    }

    /// <summary>
    /// Checks of a volume that commits all the while (creations, renames, clones, removals): every
    /// check reads one commit's state, so none sees an entry without its inode or a link count off.
    /// </summary>
    [Test]
    public void ChecksAVolumeBeingWrittenAsOfOneCommit()
    {
        using var fs = FormatAndOpen();
        string metaDb = Path.Combine(Folder, "meta.db");
        var settings = Settings(Folder);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var data = new byte[5000];
            int commits = 0;
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string name = "f" + i.ToString(CultureInfo.InvariantCulture);
                Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(0x81A4, 0, 0), out var f), Is.EqualTo(FsError.Ok));
                BitConverter.TryWriteBytes(data, i);
                Assert.That(fs.Write(f.Ino, 0, data, out _), Is.EqualTo(FsError.Ok));
                Assert.That(fs.Create(FileSystem.RootIno, name + "-clone", new CreateRequest(0x81A4, 0, 0), out var c), Is.EqualTo(FsError.Ok));
                Assert.That(fs.CloneRange(f.Ino, 0, c.Ino, 0, long.MaxValue, out _), Is.EqualTo(FsError.Ok));
                if (i % 3 == 0)
                {
                    Assert.That(fs.Unlink(FileSystem.RootIno, name), Is.EqualTo(FsError.Ok));
                }
                Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
                commits++;
            }
            return commits;
        });
        int checks = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(3) || checks < 5)
            {
                Assert.That(StoredVolumeChecker.Run(metaDb, settings, null, null), Is.Empty, $"check {checks}");
                checks++;
            }
        }
        finally
        {
            stop.Cancel();
        }
        int commits = writer.GetAwaiter().GetResult();
        TestContext.Out.WriteLine($"{checks} checks beside {commits} commits");
        // Commits against checks is a race of fsync against processor time (on a busy disk the checks
        // won it, 457 to 408); what the test needs is commits landing while checks ran, several.
        Assert.That(commits, Is.GreaterThanOrEqualTo(5), "commits landed while the checks ran");
    }

    /// <summary>A check of a volume that cannot be read fails with a one-line <see cref="Volume.VolumeException"/>.</summary>
    [Test]
    public void AValueOfTheWrongTypeIsAOneLineVolumeException()
    {
        using (FormatAndOpen())
        {
        }
        string metaDb = Path.Combine(Folder, "meta.db");
        var settings = Settings(Folder);
        VolumeDamage.Sql(metaDb, "UPDATE inodes SET size = 'large' WHERE ino = 1");
        var e = Assert.Throws<Volume.VolumeException>(() => StoredVolumeChecker.Run(metaDb, settings, null, null));
        Assert.That(e!.Message, Does.Contain("wrong type").And.Not.Contain("\n"));
    }

    private static Volume.VolumeSettings Settings(string folder)
    {
        string metaDb = Path.Combine(folder, "meta.db");
        using var store = MetadataStore.Open(metaDb, readOnly: true);
        return store.LoadSettings(metaDb);
    }

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;
}
