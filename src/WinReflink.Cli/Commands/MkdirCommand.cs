using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Core.Errors;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink mkdir VOLUME:/path`: creates a directory (with -p, its missing parents too).</summary>
internal static class MkdirCommand
{
    public static Command Create()
    {
        var target = GlobalOptions.VolumeFile("VOLUME:/path", "The directory to create; its parent must exist unless --parents is given");
        var parents = new Option<bool>("--parents", "-p") { Description = "Create missing parents too, and succeed if the directory exists" };
        var command = new Command("mkdir", "Create a directory in a volume")
        {
            target, parents,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var path = parse.GetRequiredValue(target);
            using var fs = context.OpenVolume(path.Volume);
            if (parse.GetValue(parents))
            {
                MakeAll(fs, path);
            }
            else
            {
                long parent = VolumeFiles.ResolveParent(fs, path);
                VolumeFiles.Ok(fs.Mkdir(parent, path.Name, Request(), out _), path);
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static CreateRequest Request() => new(VolumeFiles.DefaultDirectoryMode, HostIdentity.Uid, HostIdentity.Gid);

    private static void MakeAll(FileSystem fs, VolumePath path)
    {
        long dir = FileSystem.RootIno;
        foreach (string name in path.Components)
        {
            var e = fs.Lookup(dir, name, out var attributes);
            if (e == FsError.NotFound)
            {
                e = fs.Mkdir(dir, name, Request(), out attributes);
            }
            VolumeFiles.Ok(e, path);
            if (!attributes.IsDirectory)
            {
                throw new CliException($"{path}: '{name}' exists and is not a directory");
            }
            dir = attributes.Ino;
        }
    }
}
