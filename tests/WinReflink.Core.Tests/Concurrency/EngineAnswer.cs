using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>Checks an engine call's answer; an answer outside what is allowed is a divergence naming the call.</summary>
internal static class EngineAnswer
{
    public static void Ok(FsError actual, string what)
    {
        if (actual != FsError.Ok)
        {
            throw new ModelDivergenceException($"{what}: engine returned {actual}");
        }
    }

    /// <summary>For calls racing with others, whose answer depends on who came first.</summary>
    public static FsError OneOf(FsError actual, string what, params FsError[] allowed)
    {
        if (Array.IndexOf(allowed, actual) < 0)
        {
            throw new ModelDivergenceException($"{what}: engine returned {actual}, expected one of {string.Join(", ", allowed)}");
        }
        return actual;
    }
}
