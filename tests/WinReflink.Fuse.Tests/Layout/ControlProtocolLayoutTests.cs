using System.Runtime.InteropServices;
using WinReflink.Protocol;

namespace WinReflink.Fuse.Tests.Layout;

/// <summary>
/// The control channel's payloads are fixed-size blittable structs whose size is part of each ioctl
/// number; both hosts and every client must agree on them byte for byte.
/// </summary>
public sealed class ControlProtocolLayoutTests
{
    private static readonly object[] Sizes =
    [
        new object[] { typeof(CloneToken), 8 },
        new object[] { typeof(CloneFromTokenRequest), 40 },
        new object[] { typeof(ExtentsPageHeader), 32 },
        new object[] { typeof(ExtentRecord), 32 },
    ];

    private static readonly object[] Offsets =
    [
        new object[] { typeof(CloneFromTokenRequest), nameof(CloneFromTokenRequest.SourceOffset), 8 },
        new object[] { typeof(CloneFromTokenRequest), nameof(CloneFromTokenRequest.DestinationOffset), 16 },
        new object[] { typeof(CloneFromTokenRequest), nameof(CloneFromTokenRequest.Length), 24 },
        new object[] { typeof(CloneFromTokenRequest), nameof(CloneFromTokenRequest.Reserved), 32 },
        new object[] { typeof(ExtentsPageHeader), nameof(ExtentsPageHeader.Count), 8 },
        new object[] { typeof(ExtentsPageHeader), nameof(ExtentsPageHeader.Flags), 12 },
        new object[] { typeof(ExtentsPageHeader), nameof(ExtentsPageHeader.Total), 16 },
        new object[] { typeof(ExtentRecord), nameof(ExtentRecord.PhysicalOffset), 8 },
        new object[] { typeof(ExtentRecord), nameof(ExtentRecord.Length), 16 },
        new object[] { typeof(ExtentRecord), nameof(ExtentRecord.ShareCount), 24 },
        new object[] { typeof(ExtentRecord), nameof(ExtentRecord.Flags), 28 },
    ];

    [TestCaseSource(nameof(Sizes))]
    public void SizeIsFixed(Type type, int expected)
    {
        Assert.That(Marshal.SizeOf(type), Is.EqualTo(expected), $"Marshal.SizeOf({type.Name})");
    }

    [TestCaseSource(nameof(Offsets))]
    public void FieldOffsetIsFixed(Type type, string field, int expected)
    {
        Assert.That((int)Marshal.OffsetOf(type, field), Is.EqualTo(expected), $"offsetof({type.Name}, {field})");
    }

    [Test]
    public void AFullExtentsPageFitsItsBuffer()
    {
        int needed = Marshal.SizeOf<ExtentsPageHeader>() + ControlProtocol.ExtentsPerPage * Marshal.SizeOf<ExtentRecord>();
        Assert.That(needed, Is.LessThanOrEqualTo(ControlProtocol.ExtentsPageBytes));
    }

    private static readonly object[] Requests =
    [
        new object[] { "Info", LinuxIoctl.Info, 2u, 1u, (uint)ControlProtocol.InfoBytes },
        new object[] { "Extents", LinuxIoctl.Extents, 3u, 2u, (uint)ControlProtocol.ExtentsPageBytes },
        new object[] { "GetCloneToken", LinuxIoctl.GetCloneToken, 2u, 3u, 8u },
        new object[] { "CloneFromToken", LinuxIoctl.CloneFromToken, 3u, 4u, 40u },
    ];

    /// <summary>_IOC(dir, 'W', nr, size): the kernel sizes a FUSE ioctl's buffers from these fields, which hold at most 14 bits of size.</summary>
    [TestCaseSource(nameof(Requests))]
    public void IoctlNumberEncodesDirectionTypeNumberAndSize(string name, uint request, uint direction, uint number, uint size)
    {
        Assert.Multiple(() =>
        {
            Assert.That(request >> 30, Is.EqualTo(direction), $"{name}: direction");
            Assert.That((request >> 16) & 0x3fff, Is.EqualTo(size), $"{name}: size");
            Assert.That((request >> 8) & 0xff, Is.EqualTo((uint)'W'), $"{name}: type");
            Assert.That(request & 0xff, Is.EqualTo(number), $"{name}: number");
            Assert.That(size, Is.LessThan(1u << 14), $"{name}: size fits _IOC_SIZEBITS");
        });
    }
}
