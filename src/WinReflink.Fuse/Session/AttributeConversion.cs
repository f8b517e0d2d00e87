using WinReflink.Core;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>Engine attributes (100 ns ticks since the Unix epoch) to FUSE's seconds and nanoseconds.</summary>
internal static class AttributeConversion
{
    private const long TicksPerSecond = 10_000_000;

    public static FuseAttr ToFuse(in InodeAttributes a)
    {
        var (asec, ansec) = Split(a.AccessTime);
        var (msec, mnsec) = Split(a.ModifyTime);
        var (csec, cnsec) = Split(a.ChangeTime);
        return new FuseAttr
        {
            Ino = (ulong)a.Ino,
            Size = (ulong)a.Size,
            Blocks = (ulong)(a.AllocatedBytes / 512),
            ATime = (ulong)asec,
            MTime = (ulong)msec,
            CTime = (ulong)csec,
            ATimeNsec = ansec,
            MTimeNsec = mnsec,
            CTimeNsec = cnsec,
            Mode = a.Mode,
            Nlink = a.Nlink,
            Uid = a.Uid,
            Gid = a.Gid,
            Rdev = (uint)a.Rdev,
            BlkSize = (uint)a.BlockSize,
        };
    }

    public static (long Seconds, uint Nanoseconds) Split(long ticks)
    {
        long sec = Math.DivRem(ticks, TicksPerSecond, out long rem);
        if (rem < 0)
        {
            sec--;
            rem += TicksPerSecond;
        }
        return (sec, (uint)(rem * 100));
    }

    public static long ToTicks(ulong seconds, uint nanoseconds) => (long)seconds * TicksPerSecond + nanoseconds / 100;
}
