using System.Buffers.Binary;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>Security descriptors: the buffer protocol, storage at create, and SetSecurity (winfsp.md 3.3).</summary>
public sealed class SecurityTests : AdapterFixture
{
    /// <summary>A self-relative descriptor: owner S-1-5-32-545 and a DACL of <paramref name="aces"/> Everyone entries.</summary>
    private static byte[] Descriptor(int aces, uint mask = 0x1200A9)
    {
        byte[] owner = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0];
        byte[] everyone = [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        int aclSize = 8 + aces * (8 + everyone.Length);
        var sd = new byte[20 + owner.Length + aclSize];
        sd[0] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(sd.AsSpan(2), 0x8004);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(16), (uint)(20 + owner.Length));
        owner.CopyTo(sd, 20);
        var acl = sd.AsSpan(20 + owner.Length);
        acl[0] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(acl[2..], (ushort)aclSize);
        BinaryPrimitives.WriteUInt16LittleEndian(acl[4..], (ushort)aces);
        for (int i = 0; i < aces; i++)
        {
            var ace = acl[(8 + i * 20)..];
            BinaryPrimitives.WriteUInt16LittleEndian(ace[2..], 20);
            BinaryPrimitives.WriteUInt32LittleEndian(ace[4..], mask + (uint)i);
            everyone.CopyTo(ace[8..]);
        }
        return sd;
    }

    [Test]
    public void TheDescriptorGivenAtCreateComesBackByNameAndByHandle()
    {
        var sd = Descriptor(2);
        Assert.That(H.CreateEx(@"\secret", (uint)Disposition.Create << 24, WriteAccess, 0, out nint h, out _, out _, securityDescriptor: sd), Is.EqualTo(NtStatus.Success));
        nuint size = 1024;
        var buffer = new byte[1024];
        Assert.That(H.GetSecurityByName(@"\SECRET", out uint attributes, buffer, ref size), Is.EqualTo(NtStatus.Success));
        Assert.That(buffer[..(int)size], Is.EqualTo(sd));
        Assert.That(attributes, Is.EqualTo(FileAttributeBits.Archive));
        Assert.That(H.GetSecurity(h, buffer, out size), Is.EqualTo(NtStatus.Success));
        Assert.That(buffer[..(int)size], Is.EqualTo(sd));
        H.CloseHandle(h);
    }

    [Test]
    public void ADescriptorLargerThanTheBufferAnswersOverflowWithTheSizeNeeded()
    {
        // The DLL asks with 1024 bytes first; a bigger descriptor answers STATUS_BUFFER_OVERFLOW and its size (3.3).
        var sd = Descriptor(60);
        Assert.That(sd.Length, Is.GreaterThan(1024));
        H.CreateEx(@"\big-acl", (uint)Disposition.Create << 24, WriteAccess, 0, out nint h, out _, out _, securityDescriptor: sd);
        H.CloseHandle(h);
        nuint size = 1024;
        Assert.That(H.GetSecurityByName(@"\big-acl", out _, new byte[1024], ref size), Is.EqualTo(NtStatus.BufferOverflow));
        Assert.That(size, Is.EqualTo((nuint)sd.Length));
        var buffer = new byte[(int)size];
        Assert.That(H.GetSecurityByName(@"\big-acl", out _, buffer, ref size), Is.EqualTo(NtStatus.Success));
        Assert.That(buffer, Is.EqualTo(sd));
    }

    [Test]
    public void AFileWithoutADescriptorGetsTheDefaultAndTheRootAnswersToo()
    {
        // Every prefix and every parent is asked for (3.3): the root must answer, with the directory attribute.
        nuint size = 1024;
        var buffer = new byte[1024];
        Assert.That(H.GetSecurityByName(@"\", out uint attributes, buffer, ref size), Is.EqualTo(NtStatus.Success));
        Assert.That(attributes & FileAttributeBits.Directory, Is.Not.Zero);
        Assert.That(buffer[..(int)size], Is.EqualTo(SecurityDescriptors.Default));
        Assert.That(SecurityDescriptors.Length(SecurityDescriptors.Default), Is.EqualTo(SecurityDescriptors.Default.Length));
    }

    [Test]
    public void GetSecurityByNameAcceptsNullOutArgumentsAndReportsMissingPaths()
    {
        nuint size = 0;
        Assert.Multiple(() =>
        {
            Assert.That(H.GetSecurityByName(@"\", out _, null, ref size, passSize: false), Is.EqualTo(NtStatus.Success));
            Assert.That(H.GetSecurityByName(@"\nope", out _, null, ref size), Is.EqualTo(NtStatus.ObjectNameNotFound));
            Assert.That(H.GetSecurityByName(@"\nope\deeper", out _, null, ref size), Is.EqualTo(NtStatus.ObjectPathNotFound));
        });
    }

    [Test]
    public void SetSecurityStoresWhatFspSetSecurityDescriptorReturns()
    {
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, WriteAccess, out nint h, out _, out _);
        var modification = Descriptor(3, 0x1F01FF);
        Assert.That(H.SetSecurity(h, 4 /* DACL_SECURITY_INFORMATION */, modification), Is.EqualTo(NtStatus.Success));
        var buffer = new byte[4096];
        H.GetSecurity(h, buffer, out nuint size);
        Assert.That(buffer[..(int)size], Is.EqualTo(modification));
        H.CloseHandle(h);
    }

    [Test]
    public void AMalformedDescriptorAtCreateIsRefusedAndCreatesNothing()
    {
        var bad = new byte[20];
        bad[0] = 1; // not self-relative
        Assert.That(H.CreateEx(@"\x", (uint)Disposition.Create << 24, WriteAccess, 0, out _, out _, out _, securityDescriptor: bad), Is.EqualTo(NtStatus.InvalidSecurityDescr));
        Assert.That(H.CreateFile(@"\x", Disposition.Open, 0, ReadAccess, out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
    }
}
