using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>Bad names, closed contexts and the volume callbacks: clear statuses, nothing lost, nothing thrown.</summary>
public sealed class BadInputTests : AdapterFixture
{
    [TestCase(@"\a<b")]
    [TestCase(@"\a|b")]
    [TestCase(@"\what?")]
    [TestCase(@"\star*")]
    [TestCase("\\ctl\u0001")]
    [TestCase(@"\file:stream")]
    public void AWin32InvalidNameIsObjectNameInvalid(string path)
    {
        // NTFS: ERROR_INVALID_NAME. Named streams are not offered (NamedStreams is off), so ':' is refused too.
        Assert.That(H.CreateFile(path, Disposition.Create, 0, WriteAccess, out _), Is.EqualTo(NtStatus.ObjectNameInvalid));
    }

    [Test]
    public void AComponentLongerThan255IsObjectNameInvalid()
    {
        Assert.That(H.CreateFile(@"\" + new string('n', 256), Disposition.Create, 0, WriteAccess, out _), Is.EqualTo(NtStatus.ObjectNameInvalid));
        Assert.That(H.CreateFile(@"\" + new string('n', 255), Disposition.Create, 0, WriteAccess, out nint h), Is.EqualTo(NtStatus.Success));
        H.CloseHandle(h);
    }

    [Test]
    public void AClosedContextIsAnInvalidHandleEverywhere()
    {
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, WriteAccess, out nint h, out _, out _);
        H.CloseHandle(h);
        Assert.Multiple(() =>
        {
            Assert.That(H.Read(h, new byte[4], 0, out _), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.Write(h, [1], 0, out _, out _), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.GetFileInfo(h, out _), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.SetFileSize(h, 0, false, out _), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.ReadDirectory(h, null, 4096, out _), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.Rename(h, @"\f", @"\g", false), Is.EqualTo(NtStatus.InvalidHandle));
            Assert.That(H.Control(h, Protocol.WindowsIoctl.Info, [], new byte[4096], out _), Is.EqualTo(NtStatus.InvalidHandle));
        });
        // Cleanup and Close of a closed context are ignored, never thrown.
        H.Cleanup(h, @"\f", CleanupFlags.Delete);
        H.Close(h);
        Assert.That(H.ReadAll(@"\f"), Is.EqualTo(new byte[] { 1 }), "a stale delete request deletes nothing");
    }

    [Test]
    public void AnUnexpectedExceptionIsAnsweredAndTheAdapterGoesOn()
    {
        // A NULL FileInfo pointer makes the engine's answer unwritable: the thunk must catch, not crash.
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, ReadAccess, out nint h, out _, out _);
        unsafe
        {
            var f = (delegate* unmanaged[Cdecl]<nint, nint, byte*, ulong, uint, uint*, int>)H.Slot(InterfaceSlot.Read);
            byte* buffer = stackalloc byte[8];
            Assert.That(f(H.NativeFileSystem, h, buffer, 0, 8, null), Is.EqualTo(NtStatus.UnexpectedIoError));
        }
        Assert.That(H.Read(h, new byte[1], 0, out uint n), Is.EqualTo(NtStatus.Success));
        Assert.That(n, Is.EqualTo(1));
        H.CloseHandle(h);
        Assert.That(H.Fs.IsReadOnly, Is.False, "the volume still takes changes");
        H.WriteFile(@"\later", [2]);
    }

    [Test]
    public void VolumeInfoReportsSizeFreeSpaceAndLabelAndTheLabelCanChange()
    {
        Assert.That(H.GetVolumeInfo(out var info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.TotalSize, Is.EqualTo(256UL << 20));
        Assert.That(info.FreeSize, Is.GreaterThan(0).And.LessThanOrEqualTo(info.TotalSize));
        Assert.That(info.VolumeLabelLength, Is.EqualTo(8));
        Assert.That(H.SetVolumeLabel("Archive", out info), Is.EqualTo(NtStatus.Success));
        Assert.That(info.VolumeLabelLength, Is.EqualTo(14));
        Assert.That(H.SetVolumeLabel(new string('x', 33), out _), Is.EqualTo(NtStatus.InvalidVolumeLabel));
        Assert.That(H.Fs.Info().Label, Is.EqualTo("Archive"));
    }
}
