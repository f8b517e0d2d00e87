using System.Runtime.InteropServices;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Tests.Loading;

/// <summary>Finding and binding the WinFsp DLL (winfsp.md 1.1, 1.3, 1.4).</summary>
public sealed class LoaderTests
{
    [TestCase(Architecture.X64, "winfsp-x64.dll")]
    [TestCase(Architecture.Arm64, "winfsp-a64.dll")]
    [TestCase(Architecture.X86, "winfsp-x86.dll")]
    public void TheDllIsNamedAfterTheProcessArchitecture(Architecture architecture, string name)
    {
        Assert.That(WinFspLibrary.DllNameFor(architecture), Is.EqualTo(name));
    }

    [Test]
    public void NotInstalledIsOneLineNamingTheDllTheRegistryValueAndWhereToGetIt()
    {
        string message = WinFspLibrary.NotInstalledMessage("winfsp-x64.dll");
        Assert.That(message, Is.EqualTo(@"WinFsp is not installed (winfsp-x64.dll was not found, and HKLM\SOFTWARE\WinFsp InstallDir is not set); install it from https://winfsp.dev/rel/"));
    }

    [Test]
    public void AMissingLibraryIsAClearLoadError()
    {
        var e = Assert.Throws<WinFspLoadException>(() => WinFspLibrary.LoadFrom("/nonexistent/winfsp-x64.dll"));
        Assert.That(e!.Message, Does.Contain("/nonexistent/winfsp-x64.dll"));
    }

    [Test]
    public void AMissingExportIsNamed()
    {
        var e = Assert.Throws<WinFspLoadException>(() => WinFspApi.Bind(name => name is "FspFileSystemNotify" or "FspVersion" ? 0 : 1));
        Assert.That(e!.Message, Does.Contain("FspVersion, FspFileSystemNotify").And.Contain("exports"));
    }

    [Test]
    public void EveryExportOfTheContractIsBound()
    {
        var asked = new List<string>();
        WinFspApi.Bind(name =>
        {
            asked.Add(name);
            return 1;
        });
        Assert.That(asked, Is.EquivalentTo(WinFspApi.ExportNames));
        Assert.That(asked, Has.Count.EqualTo(16));
    }

    [TestCase(0x00010000u)]
    [TestCase(0x0001000Bu)]
    public void WinFspOneIsRefused(uint version)
    {
        var e = Assert.Throws<WinFspLoadException>(() => WinFspLibrary.CheckVersion(version, "winfsp-x64.dll"));
        Assert.That(e!.Message, Does.Contain("WinFsp 1.").And.Contain("2.0 or later"));
    }

    [TestCase(0x00020000u)]
    [TestCase(0x00020002u)]
    [TestCase(0x00030000u)]
    public void WinFspTwoAndLaterAreAccepted(uint version)
    {
        Assert.DoesNotThrow(() => WinFspLibrary.CheckVersion(version, "winfsp-x64.dll"));
    }
}
