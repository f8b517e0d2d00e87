namespace WinReflink.Fuse.Mounting;

/// <summary>What `winreflink mount` was asked for.</summary>
public sealed record FuseMountOptions
{
    public bool AllowOther { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>Use the kernel page cache for file data instead of direct I/O (the ExtentCache then sits below it).</summary>
    public bool KernelCache { get; init; }
    public int Threads { get; init; } = Math.Max(2, Environment.ProcessorCount * 2);
    /// <summary>How long the kernel may trust attributes and entries; our replies and notifications keep them current.</summary>
    public TimeSpan AttributeTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public string FsName { get; init; } = "winreflink";
}
