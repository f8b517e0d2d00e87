namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// What every open handle of one inode shares: the path it is known by (for Notify, which needs the
/// normalized full name, winfsp.md 2.5) and a lock that makes append and size changes atomic (Write is
/// not serialized by the FINE guard, 3.9).
/// </summary>
internal sealed class FileNode(long ino, string path)
{
    public long Ino { get; } = ino;
    public string Path { get; set; } = path;
    public int Handles { get; set; }
    public Lock IoLock { get; } = new();
}
