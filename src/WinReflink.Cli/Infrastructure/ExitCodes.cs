namespace WinReflink.Cli.Infrastructure;

/// <summary>What the process returns, as docs/cli.md lists it.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The operation failed (or `check` found violations).</summary>
    public const int Failure = 1;
    /// <summary>The command line itself is wrong: unknown command, missing or malformed argument.</summary>
    public const int Usage = 2;
}
