using WinReflink.Core.Errors;

namespace WinReflink.Tests.Engine;

/// <summary>
/// An engine call that fails ends what called it: a benchmark's figure or a test volume built past an
/// error would mean nothing. Shared by tools/bench and the tests that build volumes through the API.
/// </summary>
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
