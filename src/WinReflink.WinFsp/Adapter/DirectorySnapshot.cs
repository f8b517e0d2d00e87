using WinReflink.Core.Namespace;

namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// A directory's entries in the order ReadDirectory reports them: ordinal by lookup key (the case-folded
/// name on a case-insensitive volume), so a Marker, even one naming an entry removed since, seeks to
/// the first entry strictly after it (winfsp.md 3.5). Taken when a listing starts (Marker NULL).
/// </summary>
internal sealed class DirectorySnapshot(IReadOnlyList<DirectorySnapshot.Entry> entries, bool caseSensitive)
{
    internal readonly record struct Entry(string Key, string Name, long Ino);

    public IReadOnlyList<Entry> Entries { get; } = entries;

    /// <summary>Index of the first entry whose key is greater than the marker's.</summary>
    public int After(string marker)
    {
        string key = NameRules.Key(marker, caseSensitive);
        int lo = 0, hi = Entries.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (string.CompareOrdinal(Entries[mid].Key, key) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
