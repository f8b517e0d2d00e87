using System.Runtime.InteropServices;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Tests.Layout;

/// <summary>
/// Every struct of Interop/FuseStructs.cs against linux/fuse.h. The expected figures are sizeof and
/// offsetof as gcc computes them from /usr/include/linux/fuse.h (7.38 here); the structs 7.39-7.45
/// reshaped keep their size (fuse_open_out.padding became backing_id, fuse_init_out.unused[7] gave
/// one word to max_stack_depth) and fuse_copy_file_range_out is 7.45's.
/// </summary>
public sealed class FuseStructLayoutTests
{
    private static readonly object[] Sizes =
    [
        new object[] { typeof(FuseInHeader), 40 },
        new object[] { typeof(FuseOutHeader), 16 },
        new object[] { typeof(FuseAttr), 88 },
        new object[] { typeof(FuseEntryOut), 128 },
        new object[] { typeof(FuseAttrOut), 104 },
        new object[] { typeof(FuseGetAttrIn), 16 },
        new object[] { typeof(FuseSetAttrIn), 88 },
        new object[] { typeof(FuseMkNodIn), 16 },
        new object[] { typeof(FuseMkDirIn), 8 },
        new object[] { typeof(FuseRenameIn), 8 },
        new object[] { typeof(FuseRename2In), 16 },
        new object[] { typeof(FuseLinkIn), 8 },
        new object[] { typeof(FuseOpenIn), 8 },
        new object[] { typeof(FuseCreateIn), 16 },
        new object[] { typeof(FuseOpenOut), 16 },
        new object[] { typeof(FuseReadIn), 40 },
        new object[] { typeof(FuseWriteIn), 40 },
        new object[] { typeof(FuseWriteOut), 8 },
        new object[] { typeof(FuseKStatFs), 80 },
        new object[] { typeof(FuseReleaseIn), 24 },
        new object[] { typeof(FuseFsyncIn), 16 },
        // Without FUSE_SETXATTR_EXT (never requested) the kernel sends FUSE_COMPAT_SETXATTR_IN_SIZE.
        new object[] { typeof(FuseSetXattrIn), 8 },
        new object[] { typeof(FuseGetXattrIn), 8 },
        new object[] { typeof(FuseGetXattrOut), 8 },
        new object[] { typeof(FuseInitIn), 64 },
        new object[] { typeof(FuseInitOut), 64 },
        new object[] { typeof(FuseForgetIn), 8 },
        new object[] { typeof(FuseBatchForgetIn), 8 },
        new object[] { typeof(FuseForgetOne), 16 },
        new object[] { typeof(FuseDirent), 24 },
        new object[] { typeof(FuseFallocateIn), 32 },
        new object[] { typeof(FuseLSeekIn), 24 },
        new object[] { typeof(FuseLSeekOut), 8 },
        new object[] { typeof(FuseCopyFileRangeIn), 56 },
        new object[] { typeof(FuseCopyFileRangeOut), 8 },
        new object[] { typeof(FuseIoctlIn), 32 },
        new object[] { typeof(FuseIoctlOut), 16 },
        new object[] { typeof(FuseAccessIn), 8 },
        new object[] { typeof(FuseInterruptIn), 8 },
        new object[] { typeof(FuseNotifyInvalInodeOut), 24 },
        new object[] { typeof(FuseNotifyInvalEntryOut), 16 },
    ];

    private static readonly object[] Offsets =
    [
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.Opcode), 4 },
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.Unique), 8 },
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.NodeId), 16 },
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.Uid), 24 },
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.Pid), 32 },
        new object[] { typeof(FuseInHeader), nameof(FuseInHeader.TotalExtLen), 36 },
        new object[] { typeof(FuseOutHeader), nameof(FuseOutHeader.Error), 4 },
        new object[] { typeof(FuseOutHeader), nameof(FuseOutHeader.Unique), 8 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.ATime), 24 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.ATimeNsec), 48 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.Mode), 60 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.Nlink), 64 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.BlkSize), 80 },
        new object[] { typeof(FuseAttr), nameof(FuseAttr.Flags), 84 },
        new object[] { typeof(FuseEntryOut), nameof(FuseEntryOut.EntryValidNsec), 32 },
        new object[] { typeof(FuseEntryOut), nameof(FuseEntryOut.Attr), 40 },
        new object[] { typeof(FuseAttrOut), nameof(FuseAttrOut.Attr), 16 },
        new object[] { typeof(FuseGetAttrIn), nameof(FuseGetAttrIn.Fh), 8 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.Fh), 8 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.Size), 16 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.ATime), 32 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.ATimeNsec), 56 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.Mode), 68 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.Uid), 76 },
        new object[] { typeof(FuseSetAttrIn), nameof(FuseSetAttrIn.Gid), 80 },
        new object[] { typeof(FuseRename2In), nameof(FuseRename2In.Flags), 8 },
        new object[] { typeof(FuseCreateIn), nameof(FuseCreateIn.Umask), 8 },
        new object[] { typeof(FuseOpenOut), nameof(FuseOpenOut.OpenFlags), 8 },
        new object[] { typeof(FuseReadIn), nameof(FuseReadIn.Size), 16 },
        new object[] { typeof(FuseReadIn), nameof(FuseReadIn.LockOwner), 24 },
        new object[] { typeof(FuseReadIn), nameof(FuseReadIn.Flags), 32 },
        new object[] { typeof(FuseWriteIn), nameof(FuseWriteIn.Size), 16 },
        new object[] { typeof(FuseWriteIn), nameof(FuseWriteIn.WriteFlags), 20 },
        new object[] { typeof(FuseWriteIn), nameof(FuseWriteIn.LockOwner), 24 },
        new object[] { typeof(FuseWriteIn), nameof(FuseWriteIn.Flags), 32 },
        new object[] { typeof(FuseKStatFs), nameof(FuseKStatFs.BSize), 40 },
        new object[] { typeof(FuseKStatFs), nameof(FuseKStatFs.FrSize), 48 },
        new object[] { typeof(FuseKStatFs), nameof(FuseKStatFs.Spare), 56 },
        new object[] { typeof(FuseReleaseIn), nameof(FuseReleaseIn.LockOwner), 16 },
        new object[] { typeof(FuseInitIn), nameof(FuseInitIn.Flags), 12 },
        new object[] { typeof(FuseInitIn), nameof(FuseInitIn.Flags2), 16 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.MaxBackground), 16 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.MaxWrite), 20 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.TimeGran), 24 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.MaxPages), 28 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.Flags2), 32 },
        new object[] { typeof(FuseInitOut), nameof(FuseInitOut.MaxStackDepth), 36 },
        new object[] { typeof(FuseDirent), nameof(FuseDirent.NameLen), 16 },
        new object[] { typeof(FuseDirent), nameof(FuseDirent.Type), 20 },
        new object[] { typeof(FuseFallocateIn), nameof(FuseFallocateIn.Mode), 24 },
        new object[] { typeof(FuseLSeekIn), nameof(FuseLSeekIn.Whence), 16 },
        new object[] { typeof(FuseCopyFileRangeIn), nameof(FuseCopyFileRangeIn.NodeIdOut), 16 },
        new object[] { typeof(FuseCopyFileRangeIn), nameof(FuseCopyFileRangeIn.Len), 40 },
        new object[] { typeof(FuseCopyFileRangeIn), nameof(FuseCopyFileRangeIn.Flags), 48 },
        new object[] { typeof(FuseIoctlIn), nameof(FuseIoctlIn.Cmd), 12 },
        new object[] { typeof(FuseIoctlIn), nameof(FuseIoctlIn.Arg), 16 },
        new object[] { typeof(FuseIoctlIn), nameof(FuseIoctlIn.InSize), 24 },
        new object[] { typeof(FuseIoctlIn), nameof(FuseIoctlIn.OutSize), 28 },
        new object[] { typeof(FuseIoctlOut), nameof(FuseIoctlOut.OutIovs), 12 },
        new object[] { typeof(FuseNotifyInvalInodeOut), nameof(FuseNotifyInvalInodeOut.Len), 16 },
        new object[] { typeof(FuseNotifyInvalEntryOut), nameof(FuseNotifyInvalEntryOut.NameLen), 8 },
    ];

    [TestCaseSource(nameof(Sizes))]
    public void SizeMatchesTheKernelHeader(Type type, int expected)
    {
        Assert.That(Marshal.SizeOf(type), Is.EqualTo(expected), $"Marshal.SizeOf({type.Name})");
    }

    [TestCaseSource(nameof(Sizes))]
    public void ManagedSizeMatchesTheMarshalledSize(Type type, int expected)
    {
        // The host reads requests by pointer casts, so sizeof (not only the marshalled size) must match.
        int managed = (int)typeof(System.Runtime.CompilerServices.Unsafe).GetMethod(nameof(System.Runtime.CompilerServices.Unsafe.SizeOf))!
            .MakeGenericMethod(type).Invoke(null, null)!;
        Assert.That(managed, Is.EqualTo(expected), $"sizeof({type.Name})");
    }

    [TestCaseSource(nameof(Offsets))]
    public void FieldOffsetMatchesTheKernelHeader(Type type, string field, int expected)
    {
        Assert.That((int)Marshal.OffsetOf(type, field), Is.EqualTo(expected), $"offsetof({type.Name}, {field})");
    }

    [Test]
    public void EveryStructOfTheInteropFileIsCovered()
    {
        var covered = Sizes.Cast<object[]>().Select(s => (Type)s[0]).ToHashSet();
        var structs = typeof(FuseInHeader).Assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsEnum && t.Namespace == typeof(FuseInHeader).Namespace && t.Name.StartsWith("Fuse", StringComparison.Ordinal) && !t.IsNested)
            .ToList();
        Assert.That(structs.Where(t => !covered.Contains(t)).Select(t => t.Name), Is.Empty, "structs of FuseStructs.cs without a size assertion");
    }

    [Test]
    public void DirentNameFollowsTheFixedPartAt24()
    {
        // FUSE_NAME_OFFSET: the name starts right after the 24-byte fixed part, and direntplus puts the entry first.
        Assert.Multiple(() =>
        {
            Assert.That(Marshal.SizeOf<FuseDirent>(), Is.EqualTo(24));
            Assert.That(Marshal.SizeOf<FuseEntryOut>() + Marshal.SizeOf<FuseDirent>(), Is.EqualTo(152), "offsetof(fuse_direntplus, dirent.name)");
        });
    }
}
