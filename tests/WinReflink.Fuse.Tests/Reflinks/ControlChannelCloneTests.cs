using System.Runtime.InteropServices;
using WinReflink.Fuse.Tests.Infrastructure;
using WinReflink.Protocol;

namespace WinReflink.Fuse.Tests.Reflinks;

/// <summary>
/// Explicit clones over the ioctl control channel: a token from a handle open for reading on the
/// source, redeemed on a handle open for writing on the destination; the handles are the authority.
/// </summary>
public sealed class ControlChannelCloneTests : MountedTest
{
    private const int Size = 8 << 20;

    [Test]
    public void TokenFromAReadHandleClonesIntoAWriteHandle()
    {
        var data = MakeSource();
        File.WriteAllText(P("dst"), "");
        int src = Libc.Open(P("src"), Libc.ORdOnly);
        int dst = Libc.Open(P("dst"), Libc.OWrOnly);
        try
        {
            ulong token = GetToken(src);
            var request = new CloneFromTokenRequest { Token = token, SourceOffset = 1 << 20, DestinationOffset = 0, Length = ulong.MaxValue };
            var reply = CloneFromToken(dst, request);
            Assert.That(reply.Length, Is.EqualTo((ulong)(Size - (1 << 20))), "Length comes back as the bytes cloned (to the source's end)");
        }
        finally
        {
            Libc.Close(src);
            Libc.Close(dst);
        }
        Assert.That(File.ReadAllBytes(P("dst")), Is.EqualTo(data[(1 << 20)..]), "the clone has the source's bytes, read through the kernel's view");
        Assert.That(ControlChannel.Extents(P("dst")).All(e => e.ShareCount == 2), "every extent of the clone is shared");
        Assert.That(Info().SharedBytes, Is.EqualTo(Size - (1 << 20)));
    }

    [Test]
    public void CloneIntoAFileAlreadyReadIsSeenAtOnce()
    {
        MakeSource();
        File.WriteAllBytes(P("dst"), new byte[Size]);
        using var reader = new FileStream(P("dst"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var before = new byte[4096];
        reader.ReadExactly(before);
        Assert.That(before.All(b => b == 0));
        int src = Libc.Open(P("src"), Libc.ORdOnly);
        int dst = Libc.Open(P("dst"), Libc.ORdWr);
        try
        {
            CloneFromToken(dst, new CloneFromTokenRequest { Token = GetToken(src), Length = Size });
        }
        finally
        {
            Libc.Close(src);
            Libc.Close(dst);
        }
        reader.Position = 0;
        var after = new byte[4096];
        reader.ReadExactly(after);
        Assert.That(after, Is.EqualTo(File.ReadAllBytes(P("src"))[..4096]), "an open reader sees the cloned data");
    }

    [Test]
    public void HandlesWithoutTheRightAccessAndForgedTokensAreRefused()
    {
        MakeSource();
        File.WriteAllText(P("dst"), "unchanged");
        int writeOnly = Libc.Open(P("src"), Libc.OWrOnly);
        int readOnlyDst = Libc.Open(P("dst"), Libc.ORdOnly);
        int dir = Libc.Open(MountPoint, Libc.ORdOnly | Libc.ODirectory);
        int src = Libc.Open(P("src"), Libc.ORdOnly);
        int dst = Libc.Open(P("dst"), Libc.OWrOnly);
        try
        {
            Assert.That(IoctlErrno(writeOnly, LinuxIoctl.GetCloneToken, new byte[8]), Is.EqualTo(9), "EBADF: a token needs a handle open for reading");
            Assert.That(IoctlErrno(dir, LinuxIoctl.GetCloneToken, new byte[8]), Is.EqualTo(9), "EBADF: not on a directory");
            ulong token = GetToken(src);
            Assert.That(IoctlErrno(readOnlyDst, LinuxIoctl.CloneFromToken, Bytes(new CloneFromTokenRequest { Token = token, Length = 4096 })), Is.EqualTo(9),
                "EBADF: cloning needs a handle open for writing");
            Assert.That(IoctlErrno(dst, LinuxIoctl.CloneFromToken, Bytes(new CloneFromTokenRequest { Token = token ^ 0x5a5a5a5a, Length = 4096 })), Is.EqualTo(Libc.EPerm),
                "EPERM: a forged token");
            Assert.That(IoctlErrno(src, 0x5700u | 99u, new byte[8]), Is.EqualTo(25), "ENOTTY: an unknown request");
        }
        finally
        {
            foreach (int fd in new[] { writeOnly, readOnlyDst, dir, src, dst })
            {
                Libc.Close(fd);
            }
        }
        Assert.That(File.ReadAllText(P("dst")), Is.EqualTo("unchanged"));
        Assert.That(Info().SharedBytes, Is.Zero);
    }

    private byte[] MakeSource()
    {
        var data = new byte[Size];
        new Random(21).NextBytes(data);
        File.WriteAllBytes(P("src"), data);
        return data;
    }

    private static ulong GetToken(int fd)
    {
        var buffer = new byte[Marshal.SizeOf<CloneToken>()];
        Libc.Ioctl(fd, LinuxIoctl.GetCloneToken, buffer);
        ulong token = MemoryMarshal.Read<CloneToken>(buffer).Token;
        Assert.That(token, Is.Not.Zero);
        return token;
    }

    private static CloneFromTokenRequest CloneFromToken(int fd, CloneFromTokenRequest request)
    {
        var buffer = Bytes(request);
        Libc.Ioctl(fd, LinuxIoctl.CloneFromToken, buffer);
        return MemoryMarshal.Read<CloneFromTokenRequest>(buffer);
    }

    private static byte[] Bytes(CloneFromTokenRequest request)
    {
        var buffer = new byte[Marshal.SizeOf<CloneFromTokenRequest>()];
        MemoryMarshal.Write(buffer, request);
        return buffer;
    }

    private static int IoctlErrno(int fd, uint request, byte[] argument)
    {
        try
        {
            Libc.Ioctl(fd, request, argument);
            return 0;
        }
        catch (PosixException e)
        {
            return e.Errno;
        }
    }
}
