using System.CommandLine;
using System.Globalization;
using WinReflink.Cli.Infrastructure;
using WinReflink.Client;
using WinReflink.Core;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink extents VOLUME:/path`: where a file's data lives and how often each piece is shared.</summary>
internal static class ExtentsCommand
{
    internal sealed record ExtentJson(long LogicalOffset, long PhysicalOffset, long Length, int ShareCount, bool Unwritten);

    internal sealed record ExtentsJson(string Path, long Ino, long Size, int BlockSize, IReadOnlyList<ExtentJson> Extents);

    public static Command Create()
    {
        var target = new Argument<string>("FILE") { Description = "VOLUME:/path of a regular file, or a file on a mounted volume" };
        var json = GlobalOptions.Json("the extents");
        var command = new Command("extents", "List a file's extents: logical and physical offset, length, share count, unwritten flag (all in bytes)")
        {
            target, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var (name, ino, size, blockSize, extents) = Read(context, parse.GetRequiredValue(target));
            if (parse.GetValue(json))
            {
                var list = extents.Select(e => new ExtentJson(e.LogicalOffset, e.PhysicalOffset, e.Length, e.ShareCount, e.Unwritten)).ToList();
                JsonOutput.Write(context.Out, new ExtentsJson(name, ino, size, blockSize, list));
                return ExitCodes.Success;
            }
            var o = context.Out;
            o.WriteLine($"{name}: {ByteSize.FormatExact(size)}, {Display.Count(extents.Count, "extent", "extents")}, {blockSize}-byte blocks");
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

    /// <summary>From a VOLUME:/path, or through the control channel for a file on a mount.</summary>
    private static (string Name, long Ino, long Size, int BlockSize, IReadOnlyList<FileExtent> Extents) Read(CliContext context, string text)
    {
        bool onMount = MountClient.Supported && File.Exists(text) && !VolumeSyntax(text);
        if (onMount)
        {
            MountedPaths.RequireMount(text);
            var extents = MountClient.Extents(text);
            using var doc = System.Text.Json.JsonDocument.Parse(MountClient.InfoJson(text));
            return (Path.GetFullPath(text), MountClient.InodeOf(text), new FileInfo(text).Length, doc.RootElement.GetProperty("blockSize").GetInt32(), extents);
        }
        if (!VolumePath.TryParse(text, out var path, out string error))
        {
            throw CliException.Usage(error);
        }
        using var fs = context.OpenVolume(path!.Volume, readOnly: true);
        var file = VolumeFiles.ResolveRegular(fs, path);
        VolumeFiles.Ok(fs.GetExtents(file.Ino, out var list), path);
        return (path.InnerPath, file.Ino, file.Size, fs.BlockSize, list);
    }

    /// <summary>VOLUME:/path whose volume part is a volume folder.</summary>
    private static bool VolumeSyntax(string text) => VolumePath.TryParse(text, out var p, out _) && MountedPaths.IsVolumeFolder(p!.Volume);

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
