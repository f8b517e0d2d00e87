using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Fuse;
using WinReflink.Fuse.Mounting;
using WinReflink.WinFsp.Hosting;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink unmount MOUNTPOINT`: the mount process then commits, closes the volume and exits.</summary>
internal static class UnmountCommand
{
    public static Command Create()
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Where the volume is mounted" };
        var lazy = new Option<bool>("--lazy") { Description = "Detach now even if files are open; the volume closes when the last one is" };
        var command = new Command("unmount", "Unmount a mounted volume (refused while files are open on it, unless --lazy)")
        {
            mountPoint, lazy,
        };
        command.SetAction(parse => CommandRunner.Run(parse, _ =>
        {
            if (OperatingSystem.IsWindows())
            {
                string point = parse.GetRequiredValue(mountPoint);
                if (!UnmountSignal.TrySignal(point))
                {
                    throw new CliException($"no WinReflink volume is mounted at {point} by this user");
                }
                // The mount commits and closes before its drive goes: wait for that, as the Linux unmount waits for the kernel.
                string drive = point.TrimEnd('\\') + "\\";
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (Environment.GetLogicalDrives().Contains(drive, StringComparer.OrdinalIgnoreCase) && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(100);
                }
                return ExitCodes.Success;
            }
            try
            {
                FuseHost.Unmount(parse.GetRequiredValue(mountPoint), parse.GetValue(lazy));
            }
            catch (MountException e)
            {
                throw new CliException(e.Message);
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
