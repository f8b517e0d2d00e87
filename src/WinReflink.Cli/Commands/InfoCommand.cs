using System.CommandLine;
using System.Text.Json;
using WinReflink.Cli.Infrastructure;
using WinReflink.Client;
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
        var volume = GlobalOptions.Volume("The volume folder, or the mountpoint of a mounted volume");
        var json = GlobalOptions.Json("the figures");
        var command = new Command("info", "Show a volume's capacity, used and free space, and what reflinks share and save")
        {
            volume, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var (where, i) = Read(context, parse.GetRequiredValue(volume));
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, new InfoJson(where, i.CapacityBytes, i.UsedBytes, i.FreeBytes, i.SharedBytes, i.SavedBytes,
                    i.Files, i.Directories, i.Extents, i.BlockSize, i.CaseSensitive, i.Label, i.SerialNumber, i.FormatVersion));
                return ExitCodes.Success;
            }
            var o = context.Out;
            o.WriteLine($"Volume       {where}");
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

    /// <summary>From the volume folder, or through the control channel of a mounted volume.</summary>
    private static (string Where, VolumeInfo Info) Read(CliContext context, string path)
    {
        if (!MountedPaths.IsVolumeFolder(path) && MountClient.Supported && (File.Exists(path) || Directory.Exists(path)) && MountClient.IsOnMount(path))
        {
            using var doc = JsonDocument.Parse(MountClient.InfoJson(path));
            var r = doc.RootElement;
            long L(string name) => r.GetProperty(name).GetInt64();
            return (Path.GetFullPath(path) + " (mounted)", new VolumeInfo(L("capacityBytes"), L("usedBytes"), L("freeBytes"), L("sharedBytes"), L("savedBytes"),
                L("files"), L("directories"), L("extents"), r.GetProperty("blockSize").GetInt32(), r.GetProperty("caseSensitive").GetBoolean(),
                r.GetProperty("label").GetString() ?? "", r.GetProperty("serial").GetUInt32(), r.GetProperty("formatVersion").GetInt32()));
        }
        using var fs = context.OpenVolume(path, readOnly: true);
        if (fs.Damage != null)
        {
            context.Error.WriteLine($"winreflink: warning: {fs.VolumePath} is damaged ({fs.Damage}); `winreflink check` lists every problem");
        }
        return (fs.VolumePath, fs.Info());
    }

    private static string Percent(long part, long whole) => whole > 0 ? $", {100.0 * part / whole:0.0}% of capacity" : "";
}
