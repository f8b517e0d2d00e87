namespace WinReflink.Tests.Scale;

/// <summary>What <see cref="ScaleVolumeBuilder"/> made, as the engine reports it after the last commit.</summary>
/// <param name="SharedBytes">Bytes the refcount table counts as shared (2 references or more).</param>
/// <param name="VolumeExtents">Extents of every file, as <c>FileSystem.Info</c> counts them.</param>
/// <param name="MetaDbBytes">meta.db after the close, which checkpoints the WAL into it.</param>
internal sealed record ScaleVolumeSummary(
    string Volume,
    ScaleTreeShape Shape,
    long ManyExtents,
    long SharedBytes,
    long VolumeExtents,
    TimeSpan BuildTime,
    long MetaDbBytes);
