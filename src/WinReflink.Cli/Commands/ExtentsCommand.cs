using System.CommandLine;
using System.Globalization;
using WinReflink.Cli.Infrastructure;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink extents VOLUME:/path`: where a file's data lives and how often each piece is shared.</summary>
internal static class ExtentsCommand
{
    internal sealed record ExtentJson(long LogicalOffset, long PhysicalOffset, long Length, int ShareCount, bool Unwritten);

    internal sealed record ExtentsJson(string Path, long Ino, long Size, int BlockSize, IReadOnlyList<ExtentJson> Extents);

    public static Command Create()
    {
        var target = GlobalOptions.VolumeFile("VOLUME:/path", "A regular file");
        var json = GlobalOptions.Json("the extents");
        var command = new Command("extents", "List a file's extents: logical and physical offset, length, share count, unwritten flag (all in bytes)")
        {
            target, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var path = parse.GetRequiredValue(target);
            using var fs = context.OpenVolume(path.Volume, readOnly: true);
            var file = VolumeFiles.ResolveRegular(fs, path);
            VolumeFiles.Ok(fs.GetExtents(file.Ino, out var extents), path);
            if (parse.GetValue(json))
            {
                var list = extents.Select(e => new ExtentJson(e.LogicalOffset, e.PhysicalOffset, e.Length, e.ShareCount, e.Unwritten)).ToList();
                JsonOutput.Write(context.Out, new ExtentsJson(path.InnerPath, file.Ino, file.Size, fs.BlockSize, list));
                return ExitCodes.Success;
            }
            var o = context.Out;
            o.WriteLine($"{path.InnerPath}: {ByteSize.FormatExact(file.Size)}, {Display.Count(extents.Count, "extent", "extents")}, {fs.BlockSize}-byte blocks");
            if (extents.Count == 0)
            {
                return ExitCodes.Success;
            }
            var rows = extents.Select(e => new[]
            {
                Number(e.LogicalOffset), Number(e.PhysicalOffset), Number(e.Length), Number(e.ShareCount), e.Unwritten ? "unwritten" : "",
            }).ToList();
            string[] header = ["LOGICAL", "PHYSICAL", "LENGTH", "SHARES", "FLAGS"];
            int[] widths = [.. Enumerable.Range(0, 4).Select(c => Math.Max(header[c].Length, rows.Max(r => r[c].Length)))];
            string Row(string[] r) => string.Join("  ", r.Take(4).Select((v, c) => v.PadLeft(widths[c]))) + "  " + r[4];
            o.WriteLine(Row(header).TrimEnd());
            foreach (var r in rows)
            {
                o.WriteLine(Row(r).TrimEnd());
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
