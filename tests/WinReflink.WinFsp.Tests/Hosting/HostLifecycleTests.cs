using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;

namespace WinReflink.WinFsp.Tests.Hosting;

/// <summary>The mount sequence of winfsp.md 1.5, the interface table the DLL receives (2.7) and the volume parameters (2.1).</summary>
[NonParallelizable]
public sealed unsafe class HostLifecycleTests
{
    private string _folder = "";
    private FileSystem _fs = null!;

    [SetUp]
    public void OpenVolume()
    {
        _folder = Path.Combine(Path.GetTempPath(), "wrl-winfsp-host-" + Guid.NewGuid().ToString("N"));
        FileSystem.Format(_folder, new FormatOptions { SizeBytes = 64L << 20, BlockSize = 16384 });
        _fs = FileSystem.Open(_folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 16L << 20 });
        FakeLifecycleExports.Reset();
    }

    [TearDown]
    public void CloseVolume()
    {
        _fs.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public void MountAndUnmountFollowTheDocumentedSequence()
    {
        var host = WinFspHost.Mount(FakeLifecycleExports.Api(), _fs, "R:", new WinFspMountOptions(), NullLoggerFactory.Instance);
        Assert.That(host.MountPoint, Is.EqualTo("Z:"), "what FspFileSystemMountPointF reports");
        Assert.That(FakeLifecycleExports.MountPointGiven, Is.EqualTo("R:"));
        nint context = *(nint*)(FakeLifecycleExports.FileSystem + 8);
        Assert.That(GCHandle.FromIntPtr(context).Target, Is.InstanceOf<WinFspAdapter>(), "UserContext at offset 8 holds the adapter");
        host.Dispose();
        host.Dispose();
        Assert.That(FakeLifecycleExports.Calls, Is.EqualTo(new[]
        {
            "Create", "SetOperationGuardStrategy(0)", "SetDebugLog(0)", "SetMountPointEx", "StartDispatcher(0)", "StopDispatcher", "Delete",
        }));
        Assert.That(FakeLifecycleExports.Device, Is.EqualTo("WinFsp.Disk"));
    }

    [Test]
    public void TheTableFillsExactlyTheImplementedSlots()
    {
        using var host = WinFspHost.Mount(FakeLifecycleExports.Api(), _fs, null, new WinFspMountOptions(), NullLoggerFactory.Instance);
        Assert.That(FakeLifecycleExports.MountPointGiven, Is.Null, "NULL asks for the first free drive letter");
        var filled = new HashSet<int>(new[]
        {
            InterfaceSlot.GetVolumeInfo, InterfaceSlot.SetVolumeLabel, InterfaceSlot.GetSecurityByName, InterfaceSlot.Open, InterfaceSlot.Cleanup,
            InterfaceSlot.Close, InterfaceSlot.Read, InterfaceSlot.Write, InterfaceSlot.Flush, InterfaceSlot.GetFileInfo, InterfaceSlot.SetBasicInfo,
            InterfaceSlot.SetFileSize, InterfaceSlot.Rename, InterfaceSlot.GetSecurity, InterfaceSlot.SetSecurity, InterfaceSlot.ReadDirectory,
            InterfaceSlot.GetDirInfoByName, InterfaceSlot.Control, InterfaceSlot.SetDelete, InterfaceSlot.CreateEx, InterfaceSlot.OverwriteEx,
            InterfaceSlot.DispatcherStopped,
        }.Select(s => (int)s));
        var table = (nint*)FakeLifecycleExports.Interface;
        for (int slot = 0; slot < InterfaceTable.SlotCount; slot++)
        {
            Assert.That(table[slot] != 0, Is.EqualTo(filled.Contains(slot)), $"slot {slot} ({(InterfaceSlot)slot})");
        }
    }

    [Test]
    public void VolumeParametersDescribeTheVolume()
    {
        using (WinFspHost.Mount(FakeLifecycleExports.Api(), _fs, "R:", new WinFspMountOptions(), NullLoggerFactory.Instance))
        {
        }
        string name = FileSystemNameOf(FakeLifecycleExports.Params);
        var p = FakeLifecycleExports.Params;
        Assert.Multiple(() =>
        {
            Assert.That(p.Version, Is.EqualTo(504));
            Assert.That((int)p.SectorSize * p.SectorsPerAllocationUnit, Is.EqualTo(16384), "an allocation unit is one volume block");
            Assert.That(p.SectorSize, Is.EqualTo(4096));
            Assert.That(p.MaxComponentLength, Is.EqualTo(255));
            Assert.That(p.FileInfoTimeout, Is.EqualTo(1000));
            Assert.That(p.VolumeSerialNumber, Is.EqualTo(_fs.StatFs().SerialNumber));
            Assert.That(p.Flags, Is.EqualTo(VolumeParamsBuilder.CommonFlags), "case-insensitive: no CaseSensitiveSearch");
            Assert.That(p.Flags & (VolumeFlags.ReparsePoints | VolumeFlags.NamedStreams | VolumeFlags.ExtendedAttributes | VolumeFlags.UmFileContextIsFullContext), Is.EqualTo(VolumeFlags.None));
            Assert.That(name, Is.EqualTo("WinReflink"));
        });
    }

    private static string FileSystemNameOf(VolumeParams p) => new(p.FileSystemName);

    [Test]
    public void KernelCacheMakesTheFileInfoTimeoutInfiniteAndAPrefixMakesANetworkVolume()
    {
        using (WinFspHost.Mount(FakeLifecycleExports.Api(), _fs, "R:", new WinFspMountOptions { KernelCache = true }, NullLoggerFactory.Instance, @"\winreflink\demo"))
        {
        }
        var p = FakeLifecycleExports.Params;
        string prefix = new(p.Prefix);
        uint timeout = p.FileInfoTimeout;
        Assert.Multiple(() =>
        {
            Assert.That(timeout, Is.EqualTo(0xFFFFFFFF));
            Assert.That(prefix, Is.EqualTo(@"\winreflink\demo"));
            Assert.That(FakeLifecycleExports.Device, Is.EqualTo("WinFsp.Net"));
        });
    }

    [Test]
    public void AFailedMountPointUndoesTheCreateAndSaysWhy()
    {
        FakeLifecycleExports.SetMountPointStatus = NtStatus.ObjectNameCollision;
        var e = Assert.Throws<WinFspMountException>(() => WinFspHost.Mount(FakeLifecycleExports.Api(), _fs, "R:", new WinFspMountOptions(), NullLoggerFactory.Instance));
        Assert.That(e!.Message, Does.Contain("FspFileSystemSetMountPointEx(R:)").And.Contain("0xC0000035").And.Contain("already in use"));
        Assert.That(FakeLifecycleExports.Calls[^1], Is.EqualTo("Delete"));
        Assert.That(FakeLifecycleExports.Calls, Does.Not.Contain("StopDispatcher"));
    }
}
