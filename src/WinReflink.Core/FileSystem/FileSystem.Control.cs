using System.Security.Cryptography;
using System.Text.Json;
using WinReflink.Core.Control;
using WinReflink.Core.Errors;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    private readonly Dictionary<ulong, (long Ino, DateTime Expires)> _cloneTokens = new();

    /// <summary>
    /// Issues a short-lived token naming <paramref name="ino"/> as a clone source. The host calls this
    /// only for a handle opened for reading, so holding the token proves the right to read the source.
    /// </summary>
    public FsError IssueCloneToken(long ino, out ulong token)
    {
        token = 0;
        lock (_lock)
        {
            var e = TryGetRegular(ino, out _);
            if (e != FsError.Ok)
            {
                return e;
            }
            var now = DateTime.UtcNow;
            foreach (var expired in _cloneTokens.Where(kv => kv.Value.Expires < now).Select(kv => kv.Key).ToList())
            {
                _cloneTokens.Remove(expired);
            }
            do
            {
                token = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            }
            while (token == 0 || _cloneTokens.ContainsKey(token));
            _cloneTokens[token] = (ino, now + ControlProtocol.CloneTokenLifetime);
            return FsError.Ok;
        }
    }

    /// <summary>Clones from the token's file into <paramref name="dstIno"/> (whose handle the host checked is writable).</summary>
    public FsError CloneFromToken(ulong token, long srcOffset, long dstIno, long dstOffset, long length, out long cloned)
    {
        cloned = 0;
        long srcIno;
        lock (_lock)
        {
            if (!_cloneTokens.TryGetValue(token, out var entry) || entry.Expires < DateTime.UtcNow)
            {
                _cloneTokens.Remove(token);
                return FsError.PermissionDenied;
            }
            srcIno = entry.Ino;
        }
        return CloneRange(srcIno, srcOffset, dstIno, dstOffset, length, out cloned);
    }

    /// <summary>The volume's and the cache's figures as one JSON object, for the control channel.</summary>
    public string InfoJson()
    {
        var info = Info();
        var cache = CacheStatistics();
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
            },
        };
        return JsonSerializer.Serialize(obj);
    }
}
