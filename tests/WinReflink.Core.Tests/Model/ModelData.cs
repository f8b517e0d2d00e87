namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The bytes a traced write carries, derived from a seed so that a trace line stays short and a
/// replay writes exactly the same bytes. Seed 0 means zeros (zeros written as data, not holes).
/// </summary>
internal static class ModelData
{
    public static byte[] Generate(int seed, int length)
    {
        var data = new byte[length];
        if (seed == 0)
        {
            return data;
        }
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL | 1;
        for (int i = 0; i < length; i++)
        {
            if ((i & 7) == 0)
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            data[i] = (byte)(x >> ((i & 7) * 8));
        }
        return data;
    }
}
