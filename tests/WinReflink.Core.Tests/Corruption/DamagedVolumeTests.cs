using System.Globalization;
using System.Text;
using WinReflink.Core.Volume;

namespace WinReflink.Core.Tests.Corruption;

/// <summary>
/// Hundreds of damaged copies of a real volume. On each, opening it as `mount` does (read-write) and
/// as `info` and `check` do (read-only), reading its figures and checking it end in bounded time,
/// throw nothing but a one-line <see cref="VolumeException"/>, and a volume found damaged at open is
/// opened read-only with the reason. Damage that breaks a checked invariant must be reported, and
/// `check --repair` then either refuses naming what it cannot repair or leaves the volume clean.
/// Seeded: WINREFLINK_CORRUPTION_CASES (default 320) cases from WINREFLINK_CORRUPTION_SEED (default 1);
/// a failure names the seed of its case.
/// </summary>
public class DamagedVolumeTests
{
    /// <summary>Far above any healthy open or check of these small volumes; reaching it means a hang.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static PristineVolume? _caseInsensitive;
    private static PristineVolume? _caseSensitive;

    private enum Outcome { Refused, ReadOnly, Violations, Clean }

    [OneTimeSetUp]
    public void BuildPristineVolumes()
    {
        _caseInsensitive = PristineVolume.Build(caseSensitive: false);
        _caseSensitive = PristineVolume.Build(caseSensitive: true);
    }

    [Test]
    public void EveryDamagedVolumeIsRefusedOrReportedNeverCrashesOrHangs()
    {
        int cases = EnvironmentInt("WINREFLINK_CORRUPTION_CASES", 320);
        int firstSeed = EnvironmentInt("WINREFLINK_CORRUPTION_SEED", 1);
        var kinds = Enum.GetValues<DamageKind>();
        var tally = new Dictionary<(DamageKind, Outcome), int>();
        var failures = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            int seed = firstSeed + i;
            var kind = kinds[i % kinds.Length];
            string? failure = RunCase(seed, kind, tally);
            if (failure != null)
            {
                failures.Add(failure);
            }
        }
        TestContext.Out.WriteLine(Report(tally));
        Assert.That(failures, Is.Empty, $"{failures.Count} of {cases} cases failed:\n" + string.Join("\n", failures.Take(40)));
    }

    /// <summary>One damaged volume; null when every probe behaved, else a line naming the seed and what went wrong.</summary>
    private static string? RunCase(int seed, DamageKind kind, Dictionary<(DamageKind, Outcome), int> tally)
    {
        var random = new Random(seed);
        var pristine = seed % 4 == 3 ? _caseSensitive! : _caseInsensitive!;
        string folder = Path.Combine(Path.GetTempPath(), "wrl-damaged-" + Guid.NewGuid().ToString("N"));
        try
        {
            pristine.WriteTo(folder);
            var damage = VolumeDamage.Apply(folder, kind, random);
            string label = $"seed {seed} ({kind}: {damage.What})";
            // Read-only first (check, info): it must not change the damaged files the read-write open sees next.
            var (readOnly, roError) = Probe(folder, readOnly: true);
            if (roError != null)
            {
                return $"{label}: read-only open: {roError}";
            }
            var (readWrite, rwError) = Probe(folder, readOnly: false);
            if (rwError != null)
            {
                return $"{label}: read-write open: {rwError}";
            }
            tally[(kind, readWrite)] = tally.GetValueOrDefault((kind, readWrite)) + 1;
            if (damage.MustBeDetected && (readOnly == Outcome.Clean || readWrite == Outcome.Clean))
            {
                return $"{label}: not detected (read-only {readOnly}, read-write {readWrite})";
            }
            string? repairError = ProbeRepair(folder);
            return repairError == null ? null : $"{label}: repair: {repairError}";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Open, info, check and close in bounded time; the outcome, or what went wrong.</summary>
    private static (Outcome Outcome, string? Error) Probe(string folder, bool readOnly)
    {
        var task = Task.Run(() =>
        {
            FileSystem fs;
            try
            {
                fs = FileSystem.Open(folder, new OpenOptions { ReadOnly = readOnly, CommitInterval = TimeSpan.Zero, CacheSizeBytes = 16L << 20 });
            }
            catch (VolumeException e)
            {
                return e.Message.Contains('\n', StringComparison.Ordinal) ? (Outcome.Refused, $"refused with a message of several lines: {e.Message}") : (Outcome.Refused, null);
            }
            using (fs)
            {
                fs.Info();
                var violations = fs.Check();
                if (fs.Damage != null)
                {
                    if (!fs.IsReadOnly)
                    {
                        return (Outcome.ReadOnly, $"damage found at open ({fs.Damage}) but the volume is writable");
                    }
                    if (violations.Count == 0)
                    {
                        return (Outcome.ReadOnly, $"damage found at open ({fs.Damage}) but check reports nothing");
                    }
                    return (Outcome.ReadOnly, (string?)null);
                }
                if (violations.Any(v => !v.What.StartsWith("bytes past end of file", StringComparison.Ordinal)) && !readOnly)
                {
                    return (Outcome.Violations, $"check reports {violations[0]} but the open found nothing");
                }
                return (violations.Count > 0 ? Outcome.Violations : Outcome.Clean, null);
            }
        });
        try
        {
            if (!task.Wait(Bound))
            {
                return (Outcome.Clean, $"did not finish within {Bound.TotalSeconds} s");
            }
            return task.Result;
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException!;
            return (Outcome.Clean, $"threw {inner.GetType().Name}: {inner.Message} at {inner.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
        }
    }

    /// <summary>`check --repair` in bounded time: it refuses with what remains, or a fresh open afterwards finds the volume clean.</summary>
    private static string? ProbeRepair(string folder)
    {
        var task = Task.Run(() =>
        {
            RepairReport report;
            try
            {
                using var fs = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 16L << 20, Repairing = true });
                report = fs.Repair(dryRun: false);
            }
            catch (VolumeException)
            {
                return null;
            }
            if (report.Refused != null)
            {
                return report.Unrepaired.Count > 0 ? null : $"refused ({report.Refused}) naming nothing it cannot repair";
            }
            if (!report.Written)
            {
                return null;
            }
            using var reopened = FileSystem.Open(folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 16L << 20 });
            var left = reopened.Check();
            return reopened.Damage == null && left.Count == 0
                ? null
                : $"claimed a repair ({string.Join("; ", report.Repairs)}) but the volume is still damaged: {reopened.Damage ?? left[0].ToString()}";
        });
        try
        {
            return task.Wait(Bound) ? task.Result : $"did not finish within {Bound.TotalSeconds} s";
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException!;
            return $"threw {inner.GetType().Name}: {inner.Message} at {inner.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
    }

    private static string Report(Dictionary<(DamageKind, Outcome), int> tally)
    {
        var text = new StringBuilder("kind: refused / read-only / violations / undetected (read-write open)\n");
        foreach (var kind in Enum.GetValues<DamageKind>())
        {
            text.Append(CultureInfo.InvariantCulture, $"{kind}: {tally.GetValueOrDefault((kind, Outcome.Refused))} / {tally.GetValueOrDefault((kind, Outcome.ReadOnly))} / {tally.GetValueOrDefault((kind, Outcome.Violations))} / {tally.GetValueOrDefault((kind, Outcome.Clean))}\n");
        }
        return text.ToString();
    }

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;
}
