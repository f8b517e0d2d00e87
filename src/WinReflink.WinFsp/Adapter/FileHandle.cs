namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// One WinFsp FileContext (UmFileContextIsUserContext2: a per-handle value, winfsp.md 2.7): the node it
/// opened, the access Windows granted, and a directory listing's snapshot between ReadDirectory calls.
/// </summary>
internal sealed class FileHandle(FileNode node, bool isDirectory, uint grantedAccess)
{
    public FileNode Node { get; } = node;
    public long Ino => Node.Ino;
    public bool IsDirectory { get; } = isDirectory;
    public uint GrantedAccess { get; } = grantedAccess;
    public DirectorySnapshot? Listing { get; set; }
}
