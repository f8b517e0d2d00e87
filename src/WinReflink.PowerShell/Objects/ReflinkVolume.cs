using System.Text.Json;

namespace WinReflink.PowerShell.Objects;

/// <summary>A WinReflink volume's figures, as Get-ReflinkVolume writes them to the pipeline.</summary>
public sealed class ReflinkVolume
{
    /// <summary>Where the volume is mounted; empty for a volume folder that is not mounted.</summary>
    public string MountPoint { get; init; } = "";
    /// <summary>The volume folder (meta.db and data.img).</summary>
    public string VolumePath { get; init; } = "";
    public string Label { get; init; } = "";
    public long Capacity { get; init; }
    public long Used { get; init; }
    public long Free { get; init; }
    public long Shared { get; init; }
    public long Saved { get; init; }
    public long Files { get; init; }
    public long Directories { get; init; }
    public long Extents { get; init; }
    public int BlockSize { get; init; }
    public bool CaseSensitive { get; init; }
    public uint SerialNumber { get; init; }
    public int FormatVersion { get; init; }
    public long CacheSize { get; init; }
    public long CacheLimit { get; init; }
    public long CacheDirty { get; init; }
    public double CacheHitRate { get; init; }
    /// <summary>Bytes of writes that copy recognition shared with cached blocks instead of writing, since the volume was mounted.</summary>
    public long Recognized { get; init; }

    /// <summary>From the control channel's Info answer (FileSystem.InfoJson's field names).</summary>
    internal static ReflinkVolume FromInfoJson(string json, string mountPoint, string volumePath)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        var c = r.GetProperty("cache");
        return new ReflinkVolume
        {
            MountPoint = mountPoint,
            VolumePath = volumePath,
            Label = r.GetProperty("label").GetString() ?? "",
            Capacity = r.GetProperty("capacityBytes").GetInt64(),
            Used = r.GetProperty("usedBytes").GetInt64(),
            Free = r.GetProperty("freeBytes").GetInt64(),
            Shared = r.GetProperty("sharedBytes").GetInt64(),
            Saved = r.GetProperty("savedBytes").GetInt64(),
            Files = r.GetProperty("files").GetInt64(),
            Directories = r.GetProperty("directories").GetInt64(),
            Extents = r.GetProperty("extents").GetInt64(),
            BlockSize = r.GetProperty("blockSize").GetInt32(),
            CaseSensitive = r.GetProperty("caseSensitive").GetBoolean(),
            SerialNumber = r.GetProperty("serial").GetUInt32(),
            FormatVersion = r.GetProperty("formatVersion").GetInt32(),
            CacheSize = c.GetProperty("cachedBytes").GetInt64(),
            CacheLimit = c.GetProperty("limitBytes").GetInt64(),
            CacheDirty = c.GetProperty("dirtyBytes").GetInt64(),
            CacheHitRate = c.GetProperty("hitRate").GetDouble(),
            Recognized = c.GetProperty("recognizedBytes").GetInt64(),
        };
    }
}
