using System.CommandLine;
using System.CommandLine.Parsing;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Picks the one parse error worth a line. System.CommandLine reports an unknown option as a stray
/// argument (and then the real argument as unmatched), and a mistyped command as a missing one; the
/// user is better served by naming the token they typed.
/// </summary>
internal static class UsageErrors
{
    public static string Describe(ParseResult parse)
    {
        var positional = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value);
        string? option = positional.Concat(parse.UnmatchedTokens).FirstOrDefault(LooksLikeOption);
        if (option != null)
        {
            return $"unknown option '{option}'";
        }
        if (parse.UnmatchedTokens.Count > 0)
        {
            return parse.CommandResult.Command is RootCommand
                ? $"unknown command '{parse.UnmatchedTokens[0]}'"
                : $"unexpected argument '{parse.UnmatchedTokens[0]}'";
        }
        return parse.Errors[0].Message.TrimEnd('.');
    }

    private static bool LooksLikeOption(string token) => token.Length > 1 && token[0] == '-' && !char.IsAsciiDigit(token[1]);
}
