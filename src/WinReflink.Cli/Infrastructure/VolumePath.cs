namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// A file inside a volume, written VOLUME:/path on the command line. The volume part ends at the first
/// colon (after a Windows drive letter such as C:), so paths inside the volume may hold colons but
/// volume folder names may not. The path is normalized lexically: '/' or '\' separated, '.' dropped,
/// '..' removes the component before it (never above the root), as the engine resolves both separators.
/// </summary>
internal sealed class VolumePath
{
    private VolumePath(string text, string volume, IReadOnlyList<string> components, bool trailingSeparator)
    {
        Text = text;
        Volume = volume;
        Components = components;
        TrailingSeparator = trailingSeparator;
    }

    /// <summary>What the user typed, for messages.</summary>
    public string Text { get; }

    /// <summary>The volume folder, as typed.</summary>
    public string Volume { get; }

    /// <summary>The names from the root down; empty for the root itself.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>The path ended in a separator ("vol:/dir/"): it names a directory, so a file goes inside it.</summary>
    public bool TrailingSeparator { get; }

    public bool IsRoot => Components.Count == 0;

    /// <summary>The normalized path inside the volume, "/" for the root.</summary>
    public string InnerPath => "/" + string.Join('/', Components);

    /// <summary>The last component, or "/" for the root.</summary>
    public string Name => IsRoot ? "/" : Components[^1];

    /// <summary>The parent directory's path inside the volume.</summary>
    public string ParentPath => "/" + string.Join('/', Components.Take(Components.Count - 1));

    /// <summary>The same volume with <paramref name="name"/> appended (for "copy into a directory").</summary>
    public VolumePath Child(string name)
    {
        string sep = Text.EndsWith('/') || Text.EndsWith('\\') ? "" : "/";
        return new VolumePath(Text + sep + name, Volume, [.. Components, name], trailingSeparator: false);
    }

    public static bool TryParse(string text, out VolumePath? path, out string error)
    {
        path = null;
        int colon = SeparatorIndex(text);
        if (colon < 0)
        {
            error = $"'{text}' is not VOLUME:/path (a volume folder, a colon, then a path inside the volume)";
            return false;
        }
        string volume = text[..colon];
        if (volume.Length == 0)
        {
            error = $"'{text}' names no volume folder before the colon";
            return false;
        }
        string inner = text[(colon + 1)..];
        var components = new List<string>();
        // An array, not Split('/', '\\', ...): that binds to Split(char, int count, ...) with '\\' as a count.
        foreach (string part in inner.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (components.Count > 0)
                {
                    components.RemoveAt(components.Count - 1);
                }
                continue;
            }
            components.Add(part);
        }
        bool trailing = inner.Length > 0 && (inner[^1] == '/' || inner[^1] == '\\') && components.Count > 0;
        path = new VolumePath(text, volume, components, trailing);
        error = "";
        return true;
    }

    private static int SeparatorIndex(string text)
    {
        int start = 0;
        if (OperatingSystem.IsWindows() && text.Length >= 2 && char.IsAsciiLetter(text[0]) && text[1] == ':')
        {
            start = 2;
        }
        return text.IndexOf(':', start);
    }

    public override string ToString() => Text;
}
