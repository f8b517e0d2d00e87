namespace WinReflink.Core.Tests.Crash;

/// <summary>What a power cut does to data writes that were not flushed.</summary>
public enum CrashPolicy
{
    /// <summary>Every unflushed write is lost.</summary>
    DropPending,
    /// <summary>Each 4 KiB block ends up in any one of its states: the durable one or any unflushed version written since.</summary>
    TornPending,
    /// <summary>The disk had written everything (the lucky case; metadata still rolls back).</summary>
    KeepPending,
}
