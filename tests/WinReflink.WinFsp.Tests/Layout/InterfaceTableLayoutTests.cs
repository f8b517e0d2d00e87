using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Tests.Layout;

/// <summary>FSP_FILE_SYSTEM_INTERFACE: 64 pointers, each member at slot × 8 on x64 (winfsp.md 2.7).</summary>
public sealed class InterfaceTableLayoutTests
{
    [TestCase((int)InterfaceSlot.GetVolumeInfo, 0)]
    [TestCase((int)InterfaceSlot.SetVolumeLabel, 8)]
    [TestCase((int)InterfaceSlot.GetSecurityByName, 16)]
    [TestCase((int)InterfaceSlot.Create, 24)]
    [TestCase((int)InterfaceSlot.Open, 32)]
    [TestCase((int)InterfaceSlot.Overwrite, 40)]
    [TestCase((int)InterfaceSlot.Cleanup, 48)]
    [TestCase((int)InterfaceSlot.Close, 56)]
    [TestCase((int)InterfaceSlot.Read, 64)]
    [TestCase((int)InterfaceSlot.Write, 72)]
    [TestCase((int)InterfaceSlot.Flush, 80)]
    [TestCase((int)InterfaceSlot.GetFileInfo, 88)]
    [TestCase((int)InterfaceSlot.SetBasicInfo, 96)]
    [TestCase((int)InterfaceSlot.SetFileSize, 104)]
    [TestCase((int)InterfaceSlot.CanDelete, 112)]
    [TestCase((int)InterfaceSlot.Rename, 120)]
    [TestCase((int)InterfaceSlot.GetSecurity, 128)]
    [TestCase((int)InterfaceSlot.SetSecurity, 136)]
    [TestCase((int)InterfaceSlot.ReadDirectory, 144)]
    [TestCase((int)InterfaceSlot.ResolveReparsePoints, 152)]
    [TestCase((int)InterfaceSlot.GetReparsePoint, 160)]
    [TestCase((int)InterfaceSlot.SetReparsePoint, 168)]
    [TestCase((int)InterfaceSlot.DeleteReparsePoint, 176)]
    [TestCase((int)InterfaceSlot.GetStreamInfo, 184)]
    [TestCase((int)InterfaceSlot.GetDirInfoByName, 192)]
    [TestCase((int)InterfaceSlot.Control, 200)]
    [TestCase((int)InterfaceSlot.SetDelete, 208)]
    [TestCase((int)InterfaceSlot.CreateEx, 216)]
    [TestCase((int)InterfaceSlot.OverwriteEx, 224)]
    [TestCase((int)InterfaceSlot.GetEa, 232)]
    [TestCase((int)InterfaceSlot.SetEa, 240)]
    [TestCase((int)InterfaceSlot.Obsolete0, 248)]
    [TestCase((int)InterfaceSlot.DispatcherStopped, 256)]
    public void SlotOffsetIsItsIndexTimesPointerSize(int slot, int offset)
    {
        Assert.That(slot * IntPtr.Size, Is.EqualTo(offset));
    }

    [Test]
    public void TheTableHas64PointersOf512Bytes()
    {
        Assert.That(InterfaceTable.SlotCount * IntPtr.Size, Is.EqualTo(512));
    }

    [Test]
    public void UserContextIsAtOffset8OfTheFileSystem()
    {
        Assert.That(FileSystemLayout.UserContextOffset, Is.EqualTo(8));
    }
}
