namespace WinReflink.Core.Tests.Model;

/// <summary>One traced operation: the C# line that replays it, the file ids it touches (for shrinking), and the call itself.</summary>
internal sealed record ModelOp(string Code, int[] Files, Action<ModelHarness> Apply)
{
    public override string ToString() => Code;
}
