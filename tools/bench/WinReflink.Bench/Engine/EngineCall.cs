using WinReflink.Core.Errors;

namespace WinReflink.Bench.Engine;

/// <summary>An engine call that fails ends the benchmark: a figure measured past an error would mean nothing.</summary>
internal static class EngineCall
{
    public static void Check(FsError error, string what)
    {
        if (error != FsError.Ok)
        {
            throw new InvalidOperationException($"engine call failed: {what}: {error}");
        }
    }
}
