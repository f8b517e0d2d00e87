using System.Buffers.Binary;
using System.Runtime.InteropServices;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;
using WinReflink.Fuse.Session;

namespace WinReflink.Fuse.Tests.Protocol;

/// <summary>
/// FUSE_INTERRUPT through the session: it stops a copy_file_range between clone steps (a short count
/// with some bytes done, EINTR with none), and one that names no running request is answered EAGAIN
/// once it has waited, before the reply of the request that finds it.
/// </summary>
public sealed unsafe partial class RequestHandlingTests
{
    private const int CloneStep = 64 << 10;

    private (long Src, long Dst) FilesToCopy(int bytes)
    {
        long src = MakeFile("copy-src");
        var data = new byte[bytes];
        new Random(5).NextBytes(data);
        Assert.That(_fs.Write(src, 0, data, out _), Is.EqualTo(FsError.Ok));
        return (src, MakeFile("copy-dst"));
    }

    /// <summary>COPY_FILE_RANGE (opcode 47) from offset 1 of the source to 0 of the destination: every byte is copied.</summary>
    private byte[] CopyFileRange(long src, long dst, long length)
    {
        var body = new byte[sizeof(FuseCopyFileRangeIn)];
        MemoryMarshal.Write(body, new FuseCopyFileRangeIn { OffIn = 1, NodeIdOut = (ulong)dst, OffOut = 0, Len = (ulong)length });
        return Request(FuseOpcode.CopyFileRange, (ulong)src, body);
    }

    private byte[] Interrupt(ulong target)
    {
        var bytes = Request(FuseOpcode.Interrupt, 0, BitConverter.GetBytes(target));
        // The kernel marks an INTERRUPT's own unique with bit 0 (FUSE_INT_REQ_BIT).
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), _unique | 1);
        return bytes;
    }

    [Test]
    public void AnInterruptBetweenStepsStopsTheCopyWithAShortCount()
    {
        var (src, dst) = FilesToCopy(1 << 20);
        _fs.CloneStepBytes = CloneStep;
        var copy = CopyFileRange(src, dst, 1 << 20);
        ulong copyUnique = _unique;
        using var otherWorker = new ReplyWriter(_writeEnd, _logger);
        _fs.CloneStepEnded = done =>
        {
            if (done == 2 * CloneStep)
            {
                // Another worker reads the INTERRUPT while this one clones.
                Serve(Interrupt(copyUnique), otherWorker);
            }
        };
        var reply = Send(copy);
        Assert.That(reply.Error, Is.Zero, "some bytes were done: copy_file_range answers their count");
        Assert.That(reply.Unique, Is.EqualTo(copyUnique));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(reply.Payload), Is.EqualTo((uint)(2 * CloneStep)));
        _fs.GetAttributes(dst, out var a);
        Assert.That(a.Size, Is.EqualTo(2 * CloneStep));
        AssertStillServing();
    }

    [Test]
    public void AnInterruptReadBeforeItsCopyMakesTheCopyAnswerEintr()
    {
        var (src, dst) = FilesToCopy(1 << 20);
        var copy = CopyFileRange(src, dst, 1 << 20);
        ulong copyUnique = _unique;
        Assert.That(Send(Interrupt(copyUnique), expectReply: false).Error, Is.Null, "no answer yet: its request may still come");
        var reply = Send(copy);
        Assert.That(reply.Error, Is.EqualTo(-LinuxNative.EIntr));
        Assert.That(reply.Unique, Is.EqualTo(copyUnique));
        _fs.GetAttributes(dst, out var a);
        Assert.That(a.Size, Is.Zero, "nothing copied");
        AssertStillServing();
    }

    [Test]
    public void AnInterruptMatchingNothingIsAnsweredEagainAfterItsWait()
    {
        var interrupt = Interrupt(12345);
        ulong interruptUnique = _unique | 1;
        Assert.That(Send(interrupt, expectReply: false).Error, Is.Null);
        Thread.Sleep(InterruptibleRequests.UnclaimedWait * 2);
        // The next request's worker answers the INTERRUPT first, then its own request.
        Serve(Request(FuseOpcode.GetAttr, Root, new byte[16]), _reply);
        byte* replies = stackalloc byte[4096];
        nint n = Read(_readEnd, replies, 4096);
        Assert.That((long)n, Is.GreaterThan(16L));
        Assert.That(*(uint*)replies, Is.EqualTo(16u), "a bare header");
        Assert.That(*(int*)(replies + 4), Is.EqualTo(-LinuxNative.EAgain));
        Assert.That(*(ulong*)(replies + 8), Is.EqualTo(interruptUnique));
        Assert.That(*(ulong*)(replies + 16 + 8), Is.EqualTo(_unique), "then GETATTR's reply");
        Assert.That(*(int*)(replies + 16 + 4), Is.Zero);
    }
}
