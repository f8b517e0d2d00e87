namespace WinReflink.Core.Cache;

/// <summary>
/// Input blocks [<see cref="Index"/>, <see cref="Index"/> + <see cref="Count"/>) of a write whose bytes
/// equal the clean cached physical blocks from <see cref="Physical"/> on, in turn.
/// </summary>
internal readonly record struct BlockMatch(int Index, long Physical, int Count);
