using System.CommandLine;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using WinReflink.Core.Volume;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Runs a command's body and turns every failure into one line on stderr ("winreflink: problem") and
/// an exit code, never a stack trace on its own; every exception is logged in full at debug level
/// (--verbose), so the call that failed can be found.
/// </summary>
internal static class CommandRunner
{
    public static int Run(ParseResult parse, Func<CliContext, int> body)
    {
        bool verbose = parse.GetValue(GlobalOptions.Verbose);
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        string? failure = null;
        int code;
        using (var loggerFactory = CliLogging.Create(verbose))
        {
            var context = new CliContext(output, error, loggerFactory, errorIsTerminal: !Console.IsErrorRedirected);
            try
            {
                code = body(context);
            }
            catch (CliException e)
            {
                (failure, code) = (e.Message, e.ExitCode);
            }
            catch (Exception e)
            {
                code = ExitCodes.Failure;
                failure = Expected(e);
                if (failure == null)
                {
                    context.Logger.LogDebug(e, "Unexpected failure");
                    failure = $"unexpected {e.GetType().Name}: {e.Message} (run with --verbose for details)";
                }
                else
                {
                    // The one line is for users; where it came from is for whoever reads a --verbose log
                    // (an I/O error with no useful message, as a host can report, names no call).
                    context.Logger.LogDebug(e, "Failed: {Failure}", failure);
                }
            }
            // A volume that failed (a commit that could not reach disk) has lost changes even when the
            // command's own steps all answered: the command must not report success.
            if (context.VolumeFailure is { } volumeFailure && failure == null)
            {
                (failure, code) = ($"the volume failed: {volumeFailure}; it holds its last successful commit", ExitCodes.Failure);
            }
        }
        // The console logger writes from a background queue; disposing its factory above drained it,
        // so the error line comes after any warning that led to it.
        if (failure != null)
        {
            error.WriteLine("winreflink: " + OneLine(failure));
        }
        output.Flush();
        return code;
    }

    /// <summary>The one-line message of failures that are the environment's, not a bug; null for the rest.</summary>
    private static string? Expected(Exception e) => e switch
    {
        VolumeException => e.Message,
        FileNotFoundException f when f.FileName != null => $"{f.FileName}: no such file",
        UnauthorizedAccessException => $"permission denied: {e.Message}",
        IOException => e.Message,
        DbException => $"the volume's metadata database failed: {e.Message}",
        OutOfMemoryException => "out of memory",
        _ => null,
    };

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
