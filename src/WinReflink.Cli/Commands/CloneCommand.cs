using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Client;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink clone SRC DST` on a mounted volume: an explicit reflink through the control channel,
/// authorised by a read handle on SRC and a write handle on DST; it never falls back to copying bytes.
/// </summary>
internal static class CloneCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("SRC") { Description = "A file on a mounted volume" };
        var destination = new Argument<string>("DST") { Description = "The clone to create or replace, on the same mount" };
        var command = new Command("clone", "Reflink a file on a mounted volume (no data is copied)")
        {
            source, destination,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            string src = parse.GetRequiredValue(source);
            string dst = parse.GetRequiredValue(destination);
            MountedPaths.RequireMount(src);
            if (Directory.Exists(dst))
            {
                dst = Path.Combine(dst, Path.GetFileName(src));
            }
            long bytes = MountClient.Clone(src, dst);
            context.Out.WriteLine($"cloned {src} to {dst} ({ByteSize.FormatExact(bytes)} shared, nothing copied)");
            return ExitCodes.Success;
        }));
        return command;
    }
}
