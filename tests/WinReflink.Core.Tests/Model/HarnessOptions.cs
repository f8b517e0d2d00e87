using System.Globalization;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Model;

/// <summary>How a <see cref="ModelHarness"/> sets up its volume; printed at the head of a replay trace.</summary>
internal sealed record HarnessOptions
{
    public long VolumeBytes { get; init; } = 256L << 20;
    public long CacheSizeBytes { get; init; } = 64L << 20;
    public long DirtyLimitBytes { get; init; } = 16L << 20;
    /// <summary>Run the engine's Check() every this many steps (and after every reopen and crash).</summary>
    public int CheckEvery { get; init; } = 50;
    /// <summary>Null: the real data.img. Otherwise an in-memory <see cref="CrashingBlockStore"/> that loses unflushed writes this way on a crash.</summary>
    public CrashPolicy? Crash { get; init; }
    /// <summary>With <see cref="Crash"/>: the store ignores flushes (a lying disk), to prove the survivor check catches lost committed data.</summary>
    public bool IgnoreFlushes { get; init; }
    /// <summary>
    /// The volume is small enough to fill up: an operation may fail with NoSpace, and must then have changed
    /// nothing (a clone may stop early, as documented, with the bytes before in place).
    /// </summary>
    public bool AllowNoSpace { get; init; }

    public string ToCSharp()
    {
        var inv = CultureInfo.InvariantCulture;
        string crash = Crash is { } c ? $", Crash = CrashPolicy.{c}" : "";
        string noSpace = AllowNoSpace ? ", AllowNoSpace = true" : "";
        string lying = IgnoreFlushes ? ", IgnoreFlushes = true" : "";
        return string.Create(inv, $"new HarnessOptions {{ VolumeBytes = {VolumeBytes}, CacheSizeBytes = {CacheSizeBytes}, DirtyLimitBytes = {DirtyLimitBytes}, CheckEvery = {CheckEvery}{crash}{lying}{noSpace} }}");
    }
}
