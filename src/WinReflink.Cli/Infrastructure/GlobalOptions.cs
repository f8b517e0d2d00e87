using System.CommandLine;

namespace WinReflink.Cli.Infrastructure;

/// <summary>Options every command accepts, and option shapes several commands share.</summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log debug details to stderr (by default only warnings and errors)",
        Recursive = true,
    };

    public static Option<bool> Json(string what) => new("--json")
    {
        Description = $"Print {what} as JSON on stdout",
    };

    public static Option<bool> Progress() => new("--progress")
    {
        Description = "Show progress on stderr even when it is not a terminal",
    };

    /// <summary>A VOLUME folder argument.</summary>
    public static Argument<string> Volume(string description = "The volume folder") => new("VOLUME")
    {
        Description = description,
    };

    /// <summary>A VOLUME:/path argument, parsed (and rejected with a usage error) by <see cref="VolumePath"/>.</summary>
    public static Argument<VolumePath> VolumeFile(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (VolumePath.TryParse(text, out var path, out string error))
            {
                return path;
            }
            result.AddError(error);
            return null;
        },
    };

    /// <summary>A size option such as --size 64G (binary units); null when not given, so help shows the default as written.</summary>
    public static Option<long?> Size(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "SIZE",
        CustomParser = result =>
        {
            if (ByteSize.TryParse(result.Tokens[0].Value, out long bytes, out string error))
            {
                return bytes;
            }
            result.AddError($"{name}: {error}");
            return null;
        },
    };
}
