using WinReflink.Cli;
using WinReflink.Cli.Commands;
using WinReflink.Fuse.Mounting;

// Before anything writes to the console: a background mount's output goes to its log.
if (OperatingSystem.IsWindows())
{
    WindowsBackgroundMount.DetachIfRequested();
}
else
{
    BackgroundMount.DetachIfRequested();
}
return CliApp.Run(args);
