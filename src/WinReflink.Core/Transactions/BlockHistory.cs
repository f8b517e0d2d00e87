namespace WinReflink.Core.Transactions;

/// <summary>What the running transaction knows of a single-owner block, for the copy-on-write decision.</summary>
internal enum BlockHistory
{
    /// <summary>Allocated since the last commit: no commit maps it, so it is overwritten in place.</summary>
    AllocatedSinceCommit,
    /// <summary>Shared in the last commit, single-owner now: the commit a crash returns to still reads it, so it is copied on write.</summary>
    UnsharedSinceCommit,
    /// <summary>As the last commit has it.</summary>
    Committed,
}
