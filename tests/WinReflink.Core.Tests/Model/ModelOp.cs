namespace WinReflink.Core.Tests.Model;

/// <summary>One traced operation: the C# line that replays it, and the same call as a delegate.</summary>
internal sealed record ModelOp(string Code, Action<ModelHarness> Apply)
{
    public override string ToString() => Code;
}
