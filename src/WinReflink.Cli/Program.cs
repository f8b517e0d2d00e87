using WinReflink.Cli;
using WinReflink.Fuse.Mounting;

// Before anything writes to the console: a background mount's output goes to its log.
BackgroundMount.DetachIfRequested();
return CliApp.Run(args);
