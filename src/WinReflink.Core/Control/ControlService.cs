using System.Security.Cryptography;
using System.Text.Json;
using WinReflink.Core.Cache;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Control;

/// <summary>
/// The engine's side of the control channel, the same for both hosts: clone tokens that name a source
/// file (issued for a handle open for reading, redeemed within <see cref="CloneTokenLifetime"/>)
/// and the volume's figures as JSON. Host-neutral: the wire format (request codes and payloads) is
/// WinReflink.Protocol's, which the core does not reference; each host translates its requests into
/// these calls. Invariant: no issued token is 0, and no two live tokens are equal. Callers hold the
/// volume lock.
/// </summary>
internal sealed class ControlService
{
    /// <summary>How long a clone token stays valid after it is issued.</summary>
    public static readonly TimeSpan CloneTokenLifetime = TimeSpan.FromSeconds(60);

    private readonly Dictionary<ulong, (long Ino, DateTime Expires)> _cloneTokens = new();

    /// <summary>A new token naming <paramref name="ino"/>, which the caller checked is a regular file; expired tokens are dropped first.</summary>
    public ulong IssueCloneToken(long ino)
    {
        var now = DateTime.UtcNow;
        foreach (var expired in _cloneTokens.Where(kv => kv.Value.Expires < now).Select(kv => kv.Key).ToList())
        {
            _cloneTokens.Remove(expired);
        }
        ulong token;
        do
        {
            token = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        while (token == 0 || _cloneTokens.ContainsKey(token));
        _cloneTokens[token] = (ino, now + CloneTokenLifetime);
        return token;
    }

    /// <summary>The inode a live token names; false (and the token forgotten) when it is unknown or expired.</summary>
    public bool TryRedeem(ulong token, out long ino)
    {
        if (!_cloneTokens.TryGetValue(token, out var entry) || entry.Expires < DateTime.UtcNow)
        {
            _cloneTokens.Remove(token);
            ino = 0;
            return false;
        }
        ino = entry.Ino;
        return true;
    }

    /// <summary>The volume's, the data cache's and the metadata cache's figures as one JSON object.</summary>
    public static string InfoJson(VolumeInfo info, CacheStatistics cache, MetadataStatistics metadata)
    {
        var obj = new Dictionary<string, object>
        {
            ["capacityBytes"] = info.CapacityBytes,
            ["usedBytes"] = info.UsedBytes,
            ["freeBytes"] = info.FreeBytes,
            ["sharedBytes"] = info.SharedBytes,
            ["savedBytes"] = info.SavedBytes,
            ["files"] = info.Files,
            ["directories"] = info.Directories,
            ["extents"] = info.Extents,
            ["blockSize"] = info.BlockSize,
            ["caseSensitive"] = info.CaseSensitive,
            ["label"] = info.Label,
            ["serial"] = info.SerialNumber,
            ["formatVersion"] = info.FormatVersion,
            ["cache"] = new Dictionary<string, object>
            {
                ["cachedBytes"] = cache.CachedBytes,
                ["savedBytes"] = cache.SavedBytes,
                ["hitRate"] = cache.HitRate,
                ["dirtyBytes"] = cache.DirtyBytes,
                ["limitBytes"] = cache.LimitBytes,
                ["dirtyLimitBytes"] = cache.DirtyLimitBytes,
                ["hits"] = cache.Hits,
                ["misses"] = cache.Misses,
                ["entries"] = cache.Entries,
                ["maxOwnersPerEntry"] = cache.MaxOwnersPerEntry,
                ["indexedBlocks"] = cache.IndexedBlocks,
                ["indexBytes"] = cache.IndexBytes,
                ["recognizedBlocks"] = cache.RecognizedBlocks,
                ["recognizedBytes"] = cache.RecognizedBytes,
            },
            ["metadata"] = new Dictionary<string, object>
            {
                ["residentInodes"] = metadata.ResidentInodes,
                ["estimatedBytes"] = metadata.EstimatedBytes,
                ["budgetBytes"] = metadata.BudgetBytes,
                ["droppedInodes"] = metadata.DroppedInodes,
                ["parkedReferences"] = metadata.ParkedReferences,
            },
        };
        return JsonSerializer.Serialize(obj);
    }
}
