namespace WinReflink.Core.Namespace;

/// <summary>
/// What the metadata cache holds (issue 11): inodes in memory, their estimated bytes against the
/// budget, how many were dropped since open, and the inodes dropped while a host still held them by
/// reference (a number each, until the host forgets them).
/// </summary>
public readonly record struct MetadataStatistics(long ResidentInodes, long EstimatedBytes, long BudgetBytes, long DroppedInodes, long ParkedReferences);
