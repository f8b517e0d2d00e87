using WinReflink.Cli.Commands;

return args.Length > 0 && args[0] == "mount" ? MountCommands.Mount(args)
    : args.Length > 0 && args[0] == "unmount" ? MountCommands.Unmount(args)
    : Fail();

static int Fail()
{
    Console.Error.WriteLine("winreflink: usage: winreflink mount|unmount ...");
    return 2;
}
