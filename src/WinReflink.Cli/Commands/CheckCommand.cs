using Microsoft.Extensions.Logging;
using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Core.Check;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink check VOLUME [--repair [--dry-run]]`: opens the volume read-only and verifies every
/// invariant of the design notes on what is committed (exit 0 when clean, 1 when anything is
/// broken); with --repair, opens it for writing and repairs what can be repaired without guessing,
/// all or nothing, then checks again.
/// </summary>
internal static class CheckCommand
{
    internal sealed record ViolationJson(int Invariant, string What, long? Ino, long? Block, string Expected, string Found);

    internal sealed record CheckJson(bool Clean, IReadOnlyList<ViolationJson> Violations);

    internal sealed record RepairJson(string What, long? Ino, long? Block);

    /// <summary>The --repair --json shape (docs/cli.md): clean says whether the volume is (or, with dryRun, would be) clean afterwards.</summary>
    internal sealed record RepairReportJson(bool Clean, bool DryRun, bool Written, IReadOnlyList<RepairJson> Repairs, string? Refused, IReadOnlyList<ViolationJson> Violations);

    public static Command Create()
    {
        var volume = GlobalOptions.Volume("The volume folder (opened read-only unless --repair)");
        var json = GlobalOptions.Json("the result");
        var repair = new Option<bool>("--repair") { Description = "Repair what can be repaired without guessing (leaked blocks, reference counts, link counts, orphans, unnamed inodes to /lost+found); nothing is written if anything else is wrong" };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --repair: say what would be repaired, write nothing" };
        var command = new Command("check", "Verify a volume's invariants (refcounts, free space, namespace, row checksums); exit 1 if any is violated")
        {
            volume, json, repair, dryRun,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(dryRun) && !result.GetValue(repair))
            {
                result.AddError("--dry-run needs --repair");
            }
        });
        command.SetAction(parse => CommandRunner.Run(parse, context => parse.GetValue(repair)
            ? Repair(context, parse.GetRequiredValue(volume), parse.GetValue(dryRun), parse.GetValue(json))
            : Check(context, parse.GetRequiredValue(volume), parse.GetValue(json))));
        return command;
    }

    /// <summary>
    /// A line on stderr every two seconds while a check runs (rows verified of the estimate, and the
    /// phase's items), and none for a check that takes less; once lines are shown, a line as each
    /// phase ends with the time it took and the processor time it used, so a long check says where its
    /// time went (with --verbose, for every phase).
    /// </summary>
    private static Action<CheckProgress> ProgressLines(CliContext context)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long next = 2000;
        string phase = "";
        var phaseStart = TimeSpan.Zero;
        var phaseCpuStart = TimeSpan.Zero;
        bool shown = false;
        return p =>
        {
            if (p.Phase != phase)
            {
                (phase, phaseStart, phaseCpuStart) = (p.Phase, clock.Elapsed, Environment.CpuUsage.TotalTime);
            }
            if (clock.ElapsedMilliseconds >= next)
            {
                next = clock.ElapsedMilliseconds + 2000;
                shown = true;
                string whole = p.Total > 0
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Done:N0} of {p.Total:N0} rows verified ({100.0 * p.Done / p.Total:0}%); ")
                    : "";
                context.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"check: {whole}{p.Phase}: {p.PhaseDone:N0} of {p.PhaseTotal:N0}"));
            }
            if (p.Ended)
            {
                string line = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"check: {p.Phase}: {p.PhaseTotal:N0} in {(clock.Elapsed - phaseStart).TotalSeconds:0.00} s ({(Environment.CpuUsage.TotalTime - phaseCpuStart).TotalSeconds:0.00} s of processor)");
                if (shown)
                {
                    context.Error.WriteLine(line);
                }
                else
                {
                    context.Logger.LogDebug("{Line}", line);
                }
            }
        };
    }

    private const long CheckCacheBytes = 64L << 20;

    private static int Check(CliContext context, string folder, bool json)
    {
        // The check reads each file's last block once (the zero-tail invariant): a small cache serves that,
        // where the default (a quarter of the machine) would keep every block it read.
        using var fs = context.OpenVolume(folder, readOnly: true, cacheSizeBytes: CheckCacheBytes);
        var violations = fs.Check(ProgressLines(context));
        bool clean = violations.Count == 0;
        if (json)
        {
            JsonOutput.Write(context.Out, new CheckJson(clean, ToJson(violations)));
        }
        else
        {
            foreach (var v in violations)
            {
                context.Out.WriteLine(v.ToString());
            }
            context.Out.WriteLine(clean ? $"{fs.VolumePath}: clean ({Contents(fs)})" : $"{fs.VolumePath}: {Summary(violations)} ({Contents(fs)})");
        }
        return clean ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static int Repair(CliContext context, string folder, bool dryRun, bool json)
    {
        RepairReport report;
        string path;
        using (var fs = context.OpenVolume(folder, readOnly: dryRun, repairing: true))
        {
            path = fs.VolumePath;
            report = fs.Repair(dryRun);
        }
        // A repair that wrote is proven by a fresh open and a full check, not by the repairer's word.
        IReadOnlyList<Violation> after = report.Unrepaired;
        if (report.Written)
        {
            using var reopened = context.OpenVolume(folder, readOnly: true);
            after = reopened.Check();
        }
        bool clean = report.Refused == null && after.Count == 0;
        if (json)
        {
            JsonOutput.Write(context.Out, new RepairReportJson(clean, dryRun, report.Written,
                report.Repairs.Select(r => new RepairJson(r.What, r.Ino, r.Block)).ToList(), report.Refused, ToJson(after)));
            return clean ? ExitCodes.Success : ExitCodes.Failure;
        }
        string verb = dryRun || !report.Written ? "would repair" : "repaired";
        foreach (var r in report.Repairs)
        {
            context.Out.WriteLine($"{verb}: {r}");
        }
        foreach (var v in after)
        {
            context.Out.WriteLine(v.ToString());
        }
        if (report.Refused != null)
        {
            context.Out.WriteLine($"{path}: not repaired, nothing written: {report.Refused} ({Summary(after)})");
        }
        else if (report.Repairs.Count == 0)
        {
            context.Out.WriteLine($"{path}: clean, nothing to repair");
        }
        else if (dryRun)
        {
            context.Out.WriteLine($"{path}: {Display.Count(report.Repairs.Count, "repair", "repairs")} would make it clean (dry run, nothing written)");
        }
        else
        {
            context.Out.WriteLine(clean
                ? $"{path}: {Display.Count(report.Repairs.Count, "repair", "repairs")} made; clean"
                : $"{path}: {Display.Count(report.Repairs.Count, "repair", "repairs")} made, but still {Summary(after)}");
        }
        return clean ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static List<ViolationJson> ToJson(IReadOnlyList<Violation> violations) =>
        violations.Select(v => new ViolationJson(v.Invariant, v.What, v.Ino, v.Block, v.Expected, v.Found)).ToList();

    private static string Summary(IReadOnlyList<Violation> violations)
    {
        string invariants = string.Join(", ", violations.Select(v => v.Invariant).Distinct().Order());
        return $"{Display.Count(violations.Count, "violation", "violations")} of invariant{(invariants.Contains(',', StringComparison.Ordinal) ? "s" : "")} {invariants}";
    }

    private static string Contents(FileSystem fs)
    {
        var info = fs.Info();
        return $"{Display.Count(info.Files, "file", "files")}, {Display.Count(info.Directories, "directory", "directories")}, {Display.Count(info.Extents, "extent", "extents")}";
    }
}
