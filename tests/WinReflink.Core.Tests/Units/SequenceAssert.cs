namespace WinReflink.Core.Tests.Units;

/// <summary>
/// Sequence equality for the random-operation tests, which compare whole structures after thousands of
/// steps: a plain SequenceEqual first (NUnit's collection comparer is too slow to call that often),
/// and NUnit's assertion only on a mismatch, for its description of the difference.
/// </summary>
internal static class SequenceAssert
{
    public static void AreEqual<T>(IEnumerable<T> actual, IEnumerable<T> expected, string message = "")
    {
        var a = actual.ToList();
        var e = expected.ToList();
        if (!a.SequenceEqual(e))
        {
            Assert.That(a, Is.EqualTo(e), message);
        }
    }

    public static void Bytes(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected, string message = "")
    {
        if (!actual.SequenceEqual(expected))
        {
            Assert.That(actual.ToArray(), Is.EqualTo(expected.ToArray()), message);
        }
    }
}
