using System.CommandLine;
using WinReflink.Cli.Infrastructure;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink check VOLUME`: opens the volume read-only and verifies every invariant of the design
/// notes on what is committed; exit 0 when clean, 1 when anything is broken.
/// </summary>
internal static class CheckCommand
{
    internal sealed record ViolationJson(int Invariant, string What, long? Ino, long? Block, string Expected, string Found);

    internal sealed record CheckJson(bool Clean, IReadOnlyList<ViolationJson> Violations);

    public static Command Create()
    {
        var volume = GlobalOptions.Volume("The volume folder (opened read-only; nothing is repaired)");
        var json = GlobalOptions.Json("the result");
        var command = new Command("check", "Verify a volume's invariants (refcounts, free space, namespace); exit 1 if any is violated")
        {
            volume, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            using var fs = context.OpenVolume(parse.GetRequiredValue(volume), readOnly: true);
            var violations = fs.Check();
            bool clean = violations.Count == 0;
            if (parse.GetValue(json))
            {
                var list = violations.Select(v => new ViolationJson(v.Invariant, v.What, v.Ino, v.Block, v.Expected, v.Found)).ToList();
                JsonOutput.Write(context.Out, new CheckJson(clean, list));
            }
            else
            {
                foreach (var v in violations)
                {
                    context.Out.WriteLine(v.ToString());
                }
                var info = fs.Info();
                string contents = $"{Display.Count(info.Files, "file", "files")}, {Display.Count(info.Directories, "directory", "directories")}, {Display.Count(info.Extents, "extent", "extents")}";
                string invariants = string.Join(", ", violations.Select(v => v.Invariant).Distinct().Order());
                context.Out.WriteLine(clean
                    ? $"{fs.VolumePath}: clean ({contents})"
                    : $"{fs.VolumePath}: {Display.Count(violations.Count, "violation", "violations")} of invariant{(invariants.Contains(',', StringComparison.Ordinal) ? "s" : "")} {invariants} ({contents})");
            }
            return clean ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }
}
