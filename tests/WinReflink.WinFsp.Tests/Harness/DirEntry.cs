using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Tests.Harness;

/// <summary>One FSP_FSCTL_DIR_INFO record read back from a ReadDirectory buffer.</summary>
internal readonly record struct DirEntry(string Name, FileInfo Info);

/// <summary>What one ReadDirectory call put in its buffer.</summary>
internal sealed record DirPage(IReadOnlyList<DirEntry> Entries, bool Ended, uint Bytes);
