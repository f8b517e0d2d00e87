using System.Runtime.InteropServices;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Tests.Layout;

/// <summary>
/// Every struct shared with the WinFsp DLL, size and field offsets, against the x64 layouts of
/// winfsp.md section 2 (checked there against the FSP_FSCTL_STATIC_ASSERTs of the headers).
/// </summary>
public sealed unsafe class StructLayoutTests
{
    private static readonly object[] Sizes =
    [
        new object[] { typeof(VolumeParams), 504 },
        new object[] { typeof(VolumeInfo), 88 },
        new object[] { typeof(FileInfo), 72 },
        new object[] { typeof(OpenFileInfo), 88 },
        new object[] { typeof(DirInfo), 104 },
        new object[] { typeof(NotifyInfo), 12 },
    ];

    private static readonly object[] Offsets =
    [
        new object[] { typeof(VolumeParams), nameof(VolumeParams.Version), 0 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.SectorSize), 2 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.SectorsPerAllocationUnit), 4 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.MaxComponentLength), 6 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.VolumeCreationTime), 8 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.VolumeSerialNumber), 16 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.TransactTimeout), 20 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.IrpTimeout), 24 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.IrpCapacity), 28 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.FileInfoTimeout), 32 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.Flags), 36 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.Prefix), 40 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.FileSystemName), 424 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.AdditionalFlags), 456 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.VolumeInfoTimeout), 460 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.DirInfoTimeout), 464 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.SecurityTimeout), 468 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.StreamInfoTimeout), 472 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.EaTimeout), 476 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.FsextControlCode), 480 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.Reserved32), 484 },
        new object[] { typeof(VolumeParams), nameof(VolumeParams.Reserved64), 488 },
        new object[] { typeof(VolumeInfo), nameof(VolumeInfo.TotalSize), 0 },
        new object[] { typeof(VolumeInfo), nameof(VolumeInfo.FreeSize), 8 },
        new object[] { typeof(VolumeInfo), nameof(VolumeInfo.VolumeLabelLength), 16 },
        new object[] { typeof(VolumeInfo), nameof(VolumeInfo.VolumeLabel), 18 },
        new object[] { typeof(FileInfo), nameof(FileInfo.FileAttributes), 0 },
        new object[] { typeof(FileInfo), nameof(FileInfo.ReparseTag), 4 },
        new object[] { typeof(FileInfo), nameof(FileInfo.AllocationSize), 8 },
        new object[] { typeof(FileInfo), nameof(FileInfo.FileSize), 16 },
        new object[] { typeof(FileInfo), nameof(FileInfo.CreationTime), 24 },
        new object[] { typeof(FileInfo), nameof(FileInfo.LastAccessTime), 32 },
        new object[] { typeof(FileInfo), nameof(FileInfo.LastWriteTime), 40 },
        new object[] { typeof(FileInfo), nameof(FileInfo.ChangeTime), 48 },
        new object[] { typeof(FileInfo), nameof(FileInfo.IndexNumber), 56 },
        new object[] { typeof(FileInfo), nameof(FileInfo.HardLinks), 64 },
        new object[] { typeof(FileInfo), nameof(FileInfo.EaSize), 68 },
        new object[] { typeof(OpenFileInfo), nameof(OpenFileInfo.FileInfo), 0 },
        new object[] { typeof(OpenFileInfo), nameof(OpenFileInfo.NormalizedName), 72 },
        new object[] { typeof(OpenFileInfo), nameof(OpenFileInfo.NormalizedNameSize), 80 },
        new object[] { typeof(DirInfo), nameof(DirInfo.Size), 0 },
        new object[] { typeof(DirInfo), nameof(DirInfo.FileInfo), 8 },
        new object[] { typeof(DirInfo), nameof(DirInfo.NextOffset), 80 },
        new object[] { typeof(DirInfo), nameof(DirInfo.Padding), 80 },
        new object[] { typeof(NotifyInfo), nameof(NotifyInfo.Size), 0 },
        new object[] { typeof(NotifyInfo), nameof(NotifyInfo.Filter), 4 },
        new object[] { typeof(NotifyInfo), nameof(NotifyInfo.Action), 8 },
    ];

    [TestCaseSource(nameof(Sizes))]
    public void SizeMatchesTheHeader(Type type, int expected)
    {
        Assert.That(Marshal.SizeOf(type), Is.EqualTo(expected), $"Marshal.SizeOf({type.Name})");
    }

    [TestCaseSource(nameof(Offsets))]
    public void FieldOffsetMatchesTheHeader(Type type, string field, int expected)
    {
        Assert.That((int)Marshal.OffsetOf(type, field), Is.EqualTo(expected), $"offsetof({type.Name}, {field})");
    }

    [Test]
    public void UnmanagedSizesEqualMarshalSizes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(sizeof(VolumeParams), Is.EqualTo(504));
            Assert.That(sizeof(VolumeInfo), Is.EqualTo(88));
            Assert.That(sizeof(FileInfo), Is.EqualTo(72));
            Assert.That(sizeof(OpenFileInfo), Is.EqualTo(88));
            Assert.That(sizeof(DirInfo), Is.EqualTo(104));
            Assert.That(sizeof(NotifyInfo), Is.EqualTo(12));
        });
    }

    /// <summary>The flag masks at offset 36, LSB first as MSVC allocates UINT32 bit-fields (winfsp.md 2.1).</summary>
    [TestCase((uint)VolumeFlags.CaseSensitiveSearch, 0)]
    [TestCase((uint)VolumeFlags.CasePreservedNames, 1)]
    [TestCase((uint)VolumeFlags.UnicodeOnDisk, 2)]
    [TestCase((uint)VolumeFlags.PersistentAcls, 3)]
    [TestCase((uint)VolumeFlags.ReparsePoints, 4)]
    [TestCase((uint)VolumeFlags.NamedStreams, 6)]
    [TestCase((uint)VolumeFlags.ExtendedAttributes, 8)]
    [TestCase((uint)VolumeFlags.ReadOnlyVolume, 9)]
    [TestCase((uint)VolumeFlags.PostCleanupWhenModifiedOnly, 10)]
    [TestCase((uint)VolumeFlags.PassQueryDirectoryFileName, 13)]
    [TestCase((uint)VolumeFlags.DeviceControl, 15)]
    [TestCase((uint)VolumeFlags.UmFileContextIsUserContext2, 16)]
    [TestCase((uint)VolumeFlags.UmFileContextIsFullContext, 17)]
    [TestCase((uint)VolumeFlags.DirectoryMarkerAsNextOffset, 27)]
    [TestCase((uint)VolumeFlags.SupportsPosixUnlinkRename, 29)]
    [TestCase((uint)VolumeFlags.PostDispositionWhenNecessaryOnly, 30)]
    public void VolumeFlagIsItsBit(uint flag, int bit)
    {
        Assert.That(flag, Is.EqualTo(1u << bit));
    }
}
