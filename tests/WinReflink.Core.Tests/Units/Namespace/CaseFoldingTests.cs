using WinReflink.Core.Namespace;

namespace WinReflink.Core.Tests.Units.Namespace;

public class CaseFoldingTests
{
    [Test]
    public void TheRuntimeFoldingRoundTripsThroughItsStoredForm()
    {
        var folding = CaseFolding.Runtime;
        Assert.That(folding.MappingCount, Is.GreaterThan(1000), "Unicode has over a thousand simple upper-case mappings");
        var parsed = CaseFolding.Parse(folding.Serialize(), out string? problem);
        Assert.That(problem, Is.Null);
        Assert.That(parsed!.Key("ÀlphaΩmega-ǆ"), Is.EqualTo(folding.Key("ÀlphaΩmega-ǆ")));
    }

    [Test]
    public void AStoredTableDecidesTheKeyNotTheRuntime()
    {
        // A volume made by a runtime that did not fold é: its key stays é whatever runs it now.
        var older = CaseFolding.Parse("simple-upper-1;61=41,62=42", out _)!;
        Assert.That(older.Key("abé"), Is.EqualTo("ABé"));
        Assert.That(older.MappingCount, Is.EqualTo(2));
    }

    [Test]
    public void SupplementaryLettersFoldAsPairs()
    {
        // U+10428 DESERET SMALL LETTER LONG I folds to U+10400: two UTF-16 units to two.
        Assert.That(CaseFolding.Runtime.Key("\U00010428x"), Is.EqualTo("\U00010400X"));
    }

    [Test]
    public void NamesWithNothingToFoldComeBackAsTheSameString()
    {
        const string name = "README_2.TXT";
        Assert.That(CaseFolding.Runtime.Key(name), Is.SameAs(name));
        Assert.That(CaseFolding.Identity.Key("MiXeD"), Is.EqualTo("MiXeD"));
    }

    [TestCase("upcase-9;61=41", "unknown case folding format")]
    [TestCase("simple-upper-1;61=", "not a pair of hex code points")]
    [TestCase("simple-upper-1;zz=41", "not a pair of hex code points")]
    [TestCase("simple-upper-1;61=61", "same UTF-16 length")]
    [TestCase("simple-upper-1;61=10400", "same UTF-16 length")]
    [TestCase("simple-upper-1;D800=41", "same UTF-16 length")]
    [TestCase("simple-upper-1;61=41,61=42", "twice")]
    public void ABadStoredFoldingIsRefusedWithTheReason(string text, string reason)
    {
        Assert.That(CaseFolding.Parse(text, out string? problem), Is.Null);
        Assert.That(problem, Does.Contain(reason));
    }
}
