namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// A failure the user should read as one line: the runner prints "winreflink: " + message and exits
/// with <see cref="ExitCode"/>. Commands throw it instead of printing, so every error looks alike.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Failure)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException(string message, Exception inner)
        : base(message, inner)
    {
        ExitCode = ExitCodes.Failure;
    }

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}
