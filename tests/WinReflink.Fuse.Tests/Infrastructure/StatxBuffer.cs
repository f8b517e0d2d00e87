using System.Runtime.InteropServices;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>struct statx (linux/stat.h): the fields the tests read, at their fixed offsets; 256 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
public struct StatxBuffer
{
    [FieldOffset(0)] public uint Mask;
    [FieldOffset(4)] public uint BlockSize;
    [FieldOffset(16)] public uint Nlink;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(24)] public uint Gid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Ino;
    [FieldOffset(40)] public long Size;
    [FieldOffset(48)] public long Blocks;
    [FieldOffset(64)] public StatxTimestamp ATime;
    [FieldOffset(96)] public StatxTimestamp CTime;
    [FieldOffset(112)] public StatxTimestamp MTime;
    [FieldOffset(128)] public uint RdevMajor;
    [FieldOffset(132)] public uint RdevMinor;

    public readonly uint Permissions => Mode & 0xfffu;
    public readonly uint FileType => Mode & 0xf000u;
    public readonly long AllocatedBytes => Blocks * 512;
}

[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct StatxTimestamp : IComparable<StatxTimestamp>, IEquatable<StatxTimestamp>
{
    public long Seconds;
    public uint Nanoseconds;

    public readonly int CompareTo(StatxTimestamp other) =>
        Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);

    public readonly bool Equals(StatxTimestamp other) => Seconds == other.Seconds && Nanoseconds == other.Nanoseconds;

    public override readonly bool Equals(object? obj) => obj is StatxTimestamp t && Equals(t);

    public override readonly int GetHashCode() => HashCode.Combine(Seconds, Nanoseconds);

    public override readonly string ToString() => $"{Seconds}.{Nanoseconds:D9}";

    public static bool operator ==(StatxTimestamp a, StatxTimestamp b) => a.Equals(b);

    public static bool operator !=(StatxTimestamp a, StatxTimestamp b) => !a.Equals(b);

    public static bool operator <(StatxTimestamp a, StatxTimestamp b) => a.CompareTo(b) < 0;

    public static bool operator >(StatxTimestamp a, StatxTimestamp b) => a.CompareTo(b) > 0;

    public static bool operator <=(StatxTimestamp a, StatxTimestamp b) => a.CompareTo(b) <= 0;

    public static bool operator >=(StatxTimestamp a, StatxTimestamp b) => a.CompareTo(b) >= 0;
}
