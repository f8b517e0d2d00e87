using WinReflink.Cli;

return CliApp.Run(args);
