namespace WinReflink.WinFsp.Hosting;

/// <summary>How the WinFsp host presents a volume.</summary>
public sealed class WinFspMountOptions
{
    /// <summary>
    /// Let the Windows Cache Manager hold file data (FileInfoTimeout infinite, winfsp.md 3.7). Off by
    /// default: with it, each clone's pages are cached again, so clones no longer share one copy of RAM.
    /// </summary>
    public bool KernelCache { get; init; }
    /// <summary>Owner recorded on files created from Windows, for the Linux side (Debian's first user by default).</summary>
    public uint Uid { get; init; } = 1000;
    public uint Gid { get; init; } = 1000;
    /// <summary>FileInfoTimeout without <see cref="KernelCache"/>: metadata cached for a second, as passthrough does (3.7).</summary>
    public uint FileInfoTimeoutMs { get; init; } = 1000;
}
