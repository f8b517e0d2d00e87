using System.CommandLine;
using System.CommandLine.Invocation;
using WinReflink.Cli.Commands;
using WinReflink.Cli.Infrastructure;

namespace WinReflink.Cli;

/// <summary>
/// The winreflink command line: one <see cref="Command"/> per file under Commands/, registered here.
/// Parse errors become one line and exit code 2 instead of System.CommandLine's help dump.
/// </summary>
internal static class CliApp
{
    public static int Run(string[] args)
    {
        var root = BuildRoot();
        ParseResult parse;
        try
        {
            parse = root.Parse(CpCommand.ExpandBareReflink(args));
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            Console.Error.WriteLine($"winreflink: cannot parse the command line: {e.Message}");
            return ExitCodes.Usage;
        }
        if (parse.Action is ParseErrorAction)
        {
            var error = parse.InvocationConfiguration.Error;
            string message = UsageErrors.Describe(parse);
            error.WriteLine($"winreflink: {message} (see '{CommandPath(parse.CommandResult.Command)} --help')");
            return ExitCodes.Usage;
        }
        return parse.Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("WinReflink volumes from the command line: format, inspect, copy files in and out, clone, check.")
        {
            GlobalOptions.Verbose,
            FormatCommand.Create(),
            InfoCommand.Create(),
            ListCommand.Create(),
            PutCommand.Create(),
            GetCommand.Create(),
            LsCommand.Create(),
            MkdirCommand.Create(),
            RmCommand.Create(),
            CpCommand.Create(),
            ExtentsCommand.Create(),
            CheckCommand.Create(),
            MountCommand.Create(),
            UnmountCommand.Create(),
            StatsCommand.Create(),
            CloneCommand.Create(),
        };
        return root;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c != null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(c is RootCommand ? "winreflink" : c.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
