namespace WinReflink.Core.Tests.BadInput;

/// <summary>
/// The test assembly's entry point, for tests that need a second process: `hold FOLDER` opens the
/// volume, prints "ready", and keeps it open until its standard input closes or sends a line.
/// </summary>
public static class VolumeHolder
{
    public const string Ready = "ready";

    public static int Main(string[] args)
    {
        if (args.Length != 2 || args[0] != "hold")
        {
            Console.Error.WriteLine("usage: WinReflink.Core.Tests hold <volume folder>");
            return 2;
        }
        using var fs = FileSystem.Open(args[1], new OpenOptions { CommitInterval = TimeSpan.Zero });
        Console.WriteLine(Ready);
        Console.Out.Flush();
        Console.ReadLine();
        return 0;
    }
}
