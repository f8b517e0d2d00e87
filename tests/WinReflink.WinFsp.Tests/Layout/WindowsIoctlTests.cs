using System.Runtime.InteropServices;
using WinReflink.Protocol;

namespace WinReflink.WinFsp.Tests.Layout;

/// <summary>The control codes WinFsp forwards to Control: device type with bit 15 set, METHOD_BUFFERED (winfsp.md 4.2).</summary>
public sealed class WindowsIoctlTests
{
    [TestCase(WindowsIoctl.Info, 0x801u, 0u, 0x80572004u)]
    [TestCase(WindowsIoctl.Extents, 0x802u, 0u, 0x80572008u)]
    [TestCase(WindowsIoctl.GetCloneToken, 0x803u, 1u, 0x8057600Cu)]
    [TestCase(WindowsIoctl.CloneFromToken, 0x804u, 2u, 0x8057A010u)]
    public void CodeIsCtlCodeOfTheVendorDevice(uint code, uint function, uint access, uint expected)
    {
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(expected));
            Assert.That(code, Is.EqualTo(WindowsIoctl.CtlCode(0x8057, function, 0, access)));
            Assert.That((code >> 16) & 0x8000, Is.Not.Zero, "DEVICE_TYPE_FROM_CTL_CODE has bit 15: an IOCTL, not an FSCTL");
            Assert.That(code & 3, Is.Zero, "METHOD_BUFFERED");
        });
    }

    [Test]
    public void EveryPayloadFitsTheDeviceControlLimitOf4096Bytes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ControlProtocol.InfoBytes, Is.LessThanOrEqualTo(4096));
            Assert.That(ControlProtocol.ExtentsPageBytes, Is.EqualTo(4096));
            Assert.That(Marshal.SizeOf<ExtentsPageHeader>() + ControlProtocol.ExtentsPerPage * Marshal.SizeOf<ExtentRecord>(), Is.EqualTo(4096));
            Assert.That(Marshal.SizeOf<CloneFromTokenRequest>(), Is.LessThanOrEqualTo(4096));
        });
    }
}
