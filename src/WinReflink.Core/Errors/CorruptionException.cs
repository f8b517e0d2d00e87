namespace WinReflink.Core.Errors;

/// <summary>
/// A broken invariant found while running: the engine's state and the volume disagree. Never crosses
/// the API: the volume stops accepting changes (read-only) and the call fails with an I/O error, with
/// the inode and block named in the log.
/// </summary>
internal sealed class CorruptionException : Exception
{
    public CorruptionException(string what, long ino, long block)
        : base($"{what} (inode {ino}, block {block})")
    {
        What = what;
        Ino = ino;
        Block = block;
    }

    /// <summary>The broken invariant in words, without the inode and block.</summary>
    public string What { get; }

    public long Ino { get; }
    public long Block { get; }
}
