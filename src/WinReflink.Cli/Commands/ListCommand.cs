using System.CommandLine;
using System.Text.Json;
using WinReflink.Cli.Infrastructure;
using WinReflink.Client;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink list`: every mounted volume of this system with its figures, read through its control channel.</summary>
internal static class ListCommand
{
    /// <summary>One element of the --json array (docs/cli.md); Volume is null where the system does not say (a Windows drive).</summary>
    internal sealed record MountJson(
        string MountPoint,
        string? Volume,
        string Label,
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
        uint Serial);

    public static Command Create()
    {
        var json = GlobalOptions.Json("the mounts and their figures (an empty array when none is mounted)");
        var command = new Command("list", "List the mounted WinReflink volumes (Linux: the mount table; Windows: the drive letters that answer the control channel) with their figures")
        {
            json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var mounts = new List<MountJson>();
            foreach (var m in MountClient.Supported ? MountClient.Mounted() : [])
            {
                try
                {
                    mounts.Add(Read(m));
                }
                catch (IOException e)
                {
                    // Unmounted between the listing and the question: the others are still worth listing.
                    context.Error.WriteLine($"winreflink: warning: {m.MountPoint} did not answer: {e.Message}");
                }
            }
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, mounts);
                return ExitCodes.Success;
            }
            if (mounts.Count == 0)
            {
                return ExitCodes.Success;
            }
            var rows = mounts.Select(m => new[]
            {
                m.MountPoint, m.Label.Length == 0 ? "-" : m.Label, ByteSize.Format(m.CapacityBytes), ByteSize.Format(m.UsedBytes),
                ByteSize.Format(m.FreeBytes), ByteSize.Format(m.SavedBytes), m.Files.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Volume ?? "-",
            }).Prepend(["MOUNTPOINT", "LABEL", "SIZE", "USED", "FREE", "SAVED", "FILES", "VOLUME"]).ToList();
            int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (var row in rows)
            {
                context.Out.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static MountJson Read(MountedVolume mount)
    {
        using var doc = JsonDocument.Parse(MountClient.InfoJson(mount.MountPoint));
        var r = doc.RootElement;
        long L(string name) => r.GetProperty(name).GetInt64();
        return new MountJson(mount.MountPoint, mount.VolumePath.Length == 0 ? null : mount.VolumePath, r.GetProperty("label").GetString() ?? "",
            L("capacityBytes"), L("usedBytes"), L("freeBytes"), L("sharedBytes"), L("savedBytes"), L("files"), L("directories"), L("extents"),
            r.GetProperty("blockSize").GetInt32(), r.GetProperty("caseSensitive").GetBoolean(), r.GetProperty("serial").GetUInt32());
    }
}
