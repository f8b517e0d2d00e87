namespace WinReflink.WinFsp.Adapter;

/// <summary>WinFsp file names: full paths from the volume root, `\` separated (winfsp.md 3.2).</summary>
internal static class WindowsPaths
{
    public static string[] Components(string path) => path.Split('\\', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The parent's path and the last component; the root has no parent.</summary>
    public static bool TrySplit(string path, out string parent, out string leaf)
    {
        string trimmed = path.TrimEnd('\\');
        int slash = trimmed.LastIndexOf('\\');
        if (slash < 0 || slash == trimmed.Length - 1 || trimmed.Length == 0)
        {
            parent = "";
            leaf = "";
            return false;
        }
        parent = slash == 0 ? "\\" : trimmed[..slash];
        leaf = trimmed[(slash + 1)..];
        return true;
    }

    public static string Join(string parent, string leaf) => parent == "\\" ? "\\" + leaf : parent + "\\" + leaf;
}
