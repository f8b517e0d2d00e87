using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Console logging on stderr only (stdout carries results, JSON included), one line per message:
/// warnings and above by default, debug with --verbose.
/// </summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        builder.AddConsole(o =>
        {
            o.LogToStandardErrorThreshold = LogLevel.Trace;
            o.FormatterName = ConsoleFormatterNames.Simple;
        });
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = verbose ? "HH:mm:ss.fff " : null;
        });
    });
}
