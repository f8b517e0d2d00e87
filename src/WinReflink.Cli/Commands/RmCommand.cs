using System.CommandLine;
using WinReflink.Cli.Infrastructure;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink rm VOLUME:/path`: removes a file, symlink or empty directory.</summary>
internal static class RmCommand
{
    public static Command Create()
    {
        var target = GlobalOptions.VolumeFile("VOLUME:/path", "The file or empty directory to remove");
        var command = new Command("rm", "Remove a file or an empty directory from a volume")
        {
            target,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var path = parse.GetRequiredValue(target);
            using var fs = context.OpenVolume(path.Volume);
            long parent = VolumeFiles.ResolveParent(fs, path);
            if (!VolumeFiles.TryLookup(fs, parent, path, out var attributes))
            {
                throw new CliException($"{path}: no such file or directory");
            }
            if (path.TrailingSeparator && !attributes.IsDirectory)
            {
                throw VolumeFiles.Error(path, WinReflink.Core.Errors.FsError.NotDirectory);
            }
            VolumeFiles.Ok(attributes.IsDirectory ? fs.Rmdir(parent, path.Name) : fs.Unlink(parent, path.Name), path);
            return ExitCodes.Success;
        }));
        return command;
    }
}
