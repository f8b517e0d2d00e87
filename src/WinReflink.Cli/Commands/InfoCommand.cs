using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink info VOLUME`: capacity, use and what sharing saves.</summary>
internal static class InfoCommand
{
    /// <summary>The --json shape (docs/cli.md).</summary>
    internal sealed record InfoJson(
        string Volume,
        long CapacityBytes,
        long UsedBytes,
        long FreeBytes,
        long SharedBytes,
        long SavedBytes,
        long Files,
        long Directories,
        long Extents,
        int BlockSize,
        bool CaseSensitive,
        string Label,
        uint Serial,
        int FormatVersion);

    public static Command Create()
    {
        var volume = GlobalOptions.Volume();
        var json = GlobalOptions.Json("the figures");
        var command = new Command("info", "Show a volume's capacity, used and free space, and what reflinks share and save")
        {
            volume, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            using var fs = context.OpenVolume(parse.GetRequiredValue(volume), readOnly: true);
            var i = fs.Info();
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, new InfoJson(fs.VolumePath, i.CapacityBytes, i.UsedBytes, i.FreeBytes, i.SharedBytes, i.SavedBytes,
                    i.Files, i.Directories, i.Extents, i.BlockSize, i.CaseSensitive, i.Label, i.SerialNumber, i.FormatVersion));
                return ExitCodes.Success;
            }
            var o = context.Out;
            o.WriteLine($"Volume       {fs.VolumePath}");
            o.WriteLine($"Label        {(i.Label.Length == 0 ? "(none)" : i.Label)}");
            o.WriteLine($"Serial       {Display.Serial(i.SerialNumber)}");
            o.WriteLine($"Format       version {i.FormatVersion}, {i.BlockSize}-byte blocks, {(i.CaseSensitive ? "case-sensitive" : "case-insensitive")}");
            o.WriteLine($"Capacity     {ByteSize.FormatExact(i.CapacityBytes)}");
            o.WriteLine($"Used         {ByteSize.FormatExact(i.UsedBytes)}{Percent(i.UsedBytes, i.CapacityBytes)}");
            o.WriteLine($"Free         {ByteSize.FormatExact(i.FreeBytes)}");
            o.WriteLine($"Shared       {ByteSize.FormatExact(i.SharedBytes)}   physical data mapped by more than one file or offset");
            o.WriteLine($"Saved        {ByteSize.FormatExact(i.SavedBytes)}   what sharing saves: without it the data would need {ByteSize.Format(i.UsedBytes + i.SavedBytes)}");
            o.WriteLine($"Contents     {Display.Count(i.Files, "file", "files")}, {Display.Count(i.Directories, "directory", "directories")}, {Display.Count(i.Extents, "extent", "extents")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Percent(long part, long whole) => whole > 0 ? $", {100.0 * part / whole:0.0}% of capacity" : "";
}
