using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Tests.Units.Namespace;

public class NameRulesTests
{
    [TestCase("a")]
    [TestCase("file.txt")]
    [TestCase("...")]
    [TestCase(".hidden")]
    [TestCase("with space")]
    [TestCase("back\\slash:colon*star?")]
    [TestCase("tab\there")]
    [TestCase("Ünïcödé 名前 😀")]
    public void ValidPosixNames(string name)
    {
        Assert.That(NameRules.Validate(name), Is.EqualTo(FsError.Ok));
    }

    [TestCase("")]
    [TestCase(".")]
    [TestCase("..")]
    [TestCase("a/b")]
    [TestCase("/")]
    [TestCase("nul\0inside")]
    public void InvalidNames(string name)
    {
        Assert.That(NameRules.Validate(name), Is.EqualTo(FsError.NameInvalid));
        Assert.That(NameRules.ValidateForWindows(name), Is.EqualTo(FsError.NameInvalid));
    }

    [Test]
    public void UnpairedSurrogatesAreInvalid()
    {
        // Built at run time: attribute arguments are stored as UTF-8, which cannot carry a lone surrogate.
        foreach (string name in new[] { "lone " + '\uD800' + " high", "lone " + '\uDC00' + " low", "swapped " + '\uDC00' + '\uD800', "end" + '\uD83D' })
        {
            Assert.That(NameRules.Validate(name), Is.EqualTo(FsError.NameInvalid), string.Join(" ", name.Select(c => ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture))));
        }
    }

    [Test]
    public void TheLimitIs255Utf16UnitsAnd255Utf8Bytes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(NameRules.Validate(new string('x', 255)), Is.EqualTo(FsError.Ok));
            Assert.That(NameRules.Validate(new string('x', 256)), Is.EqualTo(FsError.NameTooLong));
            // 'é' is one UTF-16 unit but two UTF-8 bytes: Linux's NAME_MAX counts bytes.
            Assert.That(NameRules.Validate(new string('é', 127) + "x"), Is.EqualTo(FsError.Ok), "255 bytes");
            Assert.That(NameRules.Validate(new string('é', 128)), Is.EqualTo(FsError.NameTooLong), "256 bytes in 128 units");
            Assert.That(NameRules.ValidateForWindows(new string('x', 256)), Is.EqualTo(FsError.NameTooLong));
        });
    }

    [TestCase("a<b")]
    [TestCase("a>b")]
    [TestCase("a:b")]
    [TestCase("a\"b")]
    [TestCase("a\\b")]
    [TestCase("a|b")]
    [TestCase("a?b")]
    [TestCase("a*b")]
    [TestCase("tab\there")]
    [TestCase("\u001f")]
    public void CharactersWin32RefusesAreInvalidOnlyForWindows(string name)
    {
        Assert.That(NameRules.Validate(name), Is.EqualTo(FsError.Ok));
        Assert.That(NameRules.ValidateForWindows(name), Is.EqualTo(FsError.NameInvalid));
    }

    [TestCase("file.txt")]
    [TestCase("Ünïcödé 名前 😀")]
    [TestCase(" leading space")]
    public void ValidWindowsNames(string name)
    {
        Assert.That(NameRules.ValidateForWindows(name), Is.EqualTo(FsError.Ok));
    }

    [Test]
    public void CaseSensitiveKeysAreTheNamesThemselves()
    {
        Assert.That(CaseFolding.Identity.Key("ReadMe.TXT"), Is.EqualTo("ReadMe.TXT"));
        Assert.That(CaseFolding.Identity.Key("readme.txt"), Is.Not.EqualTo(CaseFolding.Identity.Key("README.TXT")));
    }

    [TestCase("readme.txt", "README.TXT")]
    [TestCase("ReadMe.Txt", "rEADmE.tXT")]
    [TestCase("café", "CAFÉ")]
    [TestCase("αβγ", "ΑΒΓ")]
    [TestCase("straße", "STRAßE")]
    [TestCase("привет", "ПРИВЕТ")]
    public void CaseInsensitiveKeysFoldCase(string a, string b)
    {
        Assert.That(CaseFolding.Runtime.Key(a), Is.EqualTo(CaseFolding.Runtime.Key(b)));
    }

    [TestCase("straße", "STRASSE")]
    [TestCase("cafe", "café")]
    [TestCase("e\u0301", "\u00e9")]
    public void CaseInsensitiveKeysUseSimpleMappingWithoutNormalisation(string a, string b)
    {
        // NTFS's upcase table maps one unit to one unit: no ß -> SS expansion, no accent stripping
        // and no Unicode normalisation, so these stay different names.
        Assert.That(CaseFolding.Runtime.Key(a), Is.Not.EqualTo(CaseFolding.Runtime.Key(b)));
    }

    [Test]
    public void FoldingKeepsTheLengthInUtf16Units()
    {
        foreach (string name in new[] { "straße", "ǆemal", "ﬁle", "İstanbul", "ΐ" })
        {
            Assert.That(CaseFolding.Runtime.Key(name), Has.Length.EqualTo(name.Length), name);
        }
    }
}
