using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core.Interop;

namespace WinReflink.Core.Tests.Units.Storage;

/// <summary>The native AIO structures as linux/aio_abi.h lays them out on 64-bit little-endian machines.</summary>
public class LinuxAioLayoutTests
{
    [Test]
    public void StructuresHaveTheKernelsSizes()
    {
        Assert.That(Unsafe.SizeOf<LinuxAio.Iocb>(), Is.EqualTo(64));
        Assert.That(Unsafe.SizeOf<LinuxAio.IoEvent>(), Is.EqualTo(32));
        Assert.That(Unsafe.SizeOf<LinuxAio.IoVec>(), Is.EqualTo(16));
    }

    [Test]
    public void IocbFieldsAreAtTheKernelsOffsets()
    {
        var expected = new Dictionary<string, int>
        {
            [nameof(LinuxAio.Iocb.Data)] = 0,
            [nameof(LinuxAio.Iocb.Key)] = 8,
            [nameof(LinuxAio.Iocb.RwFlags)] = 12,
            [nameof(LinuxAio.Iocb.Opcode)] = 16,
            [nameof(LinuxAio.Iocb.RequestPriority)] = 18,
            [nameof(LinuxAio.Iocb.FileDescriptor)] = 20,
            [nameof(LinuxAio.Iocb.Buffer)] = 24,
            [nameof(LinuxAio.Iocb.Bytes)] = 32,
            [nameof(LinuxAio.Iocb.Offset)] = 40,
            [nameof(LinuxAio.Iocb.Reserved2)] = 48,
            [nameof(LinuxAio.Iocb.Flags)] = 56,
            [nameof(LinuxAio.Iocb.ResultFd)] = 60,
        };
        foreach (var (field, offset) in expected)
        {
            Assert.That((int)Marshal.OffsetOf<LinuxAio.Iocb>(field), Is.EqualTo(offset), field);
        }
    }

    [Test]
    public void IoEventResultIsAtTheKernelsOffset()
    {
        Assert.That((int)Marshal.OffsetOf<LinuxAio.IoEvent>(nameof(LinuxAio.IoEvent.Result)), Is.EqualTo(16));
    }
}
