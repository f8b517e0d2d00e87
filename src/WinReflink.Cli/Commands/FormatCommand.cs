using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink format VOLUME`: creates a new volume folder and says what it made.</summary>
internal static class FormatCommand
{
    public static Command Create()
    {
        var volume = GlobalOptions.Volume("The folder to create (it must not exist, or be empty)");
        var size = GlobalOptions.Size("--size", "Capacity, binary units: 512M, 64G, 1T (default 64G; data.img is sparse, so space is used only as data is written)");
        var blockSize = GlobalOptions.Size("--block-size", "Block size, a power of two from 4K to 64K (default 4K)");
        var caseSensitive = new Option<bool>("--case-sensitive") { Description = "Names differing only in case are different files (default: case-insensitive, case-preserving, as Windows)" };
        var label = new Option<string>("--label") { Description = "Volume label, at most 32 characters", HelpName = "LABEL" };
        var noRecognition = new Option<bool>("--no-copy-recognition")
        {
            Description = "Writes that repeat cached data are written, not shared with it (default: shared, so copies by read and write take no space)",
        };
        var command = new Command("format", "Create a new volume folder (meta.db and a sparse data.img)")
        {
            volume, size, blockSize, caseSensitive, label, noRecognition,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            long blockBytes = parse.GetValue(blockSize) ?? FormatOptions.DefaultBlockSize;
            if (blockBytes > int.MaxValue)
            {
                throw CliException.Usage($"--block-size {blockBytes} is too large");
            }
            string folder = parse.GetRequiredValue(volume);
            FileSystem.Format(folder, new FormatOptions
            {
                SizeBytes = parse.GetValue(size) ?? FormatOptions.DefaultSizeBytes,
                BlockSize = (int)blockBytes,
                CaseSensitive = parse.GetValue(caseSensitive),
                Label = parse.GetValue(label) ?? "",
                CopyRecognition = !parse.GetValue(noRecognition),
            });
            using var fs = context.OpenVolume(folder, readOnly: true);
            var info = fs.Info();
            var o = context.Out;
            o.WriteLine($"Created volume {fs.VolumePath}");
            o.WriteLine($"  capacity    {ByteSize.FormatExact(info.CapacityBytes)}, {Display.Count(info.CapacityBytes / info.BlockSize, "block", "blocks")} of {info.BlockSize} bytes");
            o.WriteLine($"  names       {(info.CaseSensitive ? "case-sensitive" : "case-insensitive, case-preserving")}");
            o.WriteLine($"  label       {(info.Label.Length == 0 ? "(none)" : info.Label)}");
            o.WriteLine($"  copies      {(parse.GetValue(noRecognition) ? "written as written (--no-copy-recognition)" : "writes that repeat cached data share it")}");
            o.WriteLine($"  serial      {Display.Serial(info.SerialNumber)}");
            o.WriteLine($"  format      version {info.FormatVersion}");
            o.WriteLine($"  files       {Path.Combine(fs.VolumePath, "meta.db")}, {Path.Combine(fs.VolumePath, "data.img")} (sparse)");
            return ExitCodes.Success;
        }));
        return command;
    }
}
