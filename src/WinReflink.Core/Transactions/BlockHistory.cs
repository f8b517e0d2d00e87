namespace WinReflink.Core.Transactions;

/// <summary>What the running transaction knows of a single-owner block, for the copy-on-write decision.</summary>
internal enum BlockHistory
{
    /// <summary>Allocated since the last commit: no commit maps it, so it is overwritten in place.</summary>
    AllocatedSinceCommit,
    /// <summary>
    /// Shared in the last commit, or shared at some point since it (even if allocated since), single-owner
    /// now: the commit a crash returns to may still read it, and a write that shared it while it was
    /// shared may be comparing its bytes, so it is copied on write.
    /// </summary>
    UnsharedSinceCommit,
    /// <summary>As the last commit has it.</summary>
    Committed,
}
