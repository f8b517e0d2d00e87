using System.Buffers.Binary;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Fuse.Interop;
using WinReflink.Fuse.Mounting;
using WinReflink.Fuse.Session;

namespace WinReflink.Fuse.Tests.Protocol;

/// <summary>
/// Crafted request bytes through the session's real entry point (framing, dispatch, the engine, the
/// reply writer), with replies read back from a pipe. A request the kernel would never send gets
/// EINVAL and a log line, never an exception and never a read past its body; a reply the kernel
/// refuses gives back what it handed out; lookups and opens keep a removed inode until the last
/// FORGET and RELEASEDIR.
/// </summary>
public sealed unsafe partial class RequestHandlingTests
{
    private const int HeaderBytes = 40;
    private const ulong Root = 1;

    private string _folder = "";
    private FileSystem _fs = null!;
    private RecordingLogger _logger = null!;
    private FuseSession _session = null!;
    private FuseOperations _operations = null!;
    private int _readEnd = -1;
    private int _writeEnd = -1;
    private ReplyWriter _reply = null!;
    private ulong _unique = 100;

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [SetUp]
    public void StartSession()
    {
        _folder = Path.Combine(Path.GetTempPath(), "wrl-proto-" + Guid.NewGuid().ToString("N")[..12]);
        FileSystem.Format(_folder, new FormatOptions { SizeBytes = 64L << 20 });
        _fs = FileSystem.Open(_folder, new OpenOptions { CacheSizeBytes = 16L << 20 });
        int* fds = stackalloc int[2];
        const int NonBlocking = 0x800;
        Assert.That(Pipe2(fds, NonBlocking), Is.Zero);
        _readEnd = fds[0];
        _writeEnd = fds[1];
        _logger = new RecordingLogger();
        _operations = new FuseOperations(_fs, new FuseMountOptions(), _logger);
        _session = new FuseSession(_writeEnd, _operations, _logger);
        _reply = new ReplyWriter(_writeEnd, _logger);
        var init = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(init, 7);
        BinaryPrimitives.WriteUInt32LittleEndian(init.AsSpan(4), 45);
        Assert.That(Send(Request(FuseOpcode.Init, 0, init)).Error, Is.Zero, "INIT");
    }

    [TearDown]
    public void StopSession()
    {
        _reply.Dispose();
        Assert.That(Close(_readEnd) | Close(_writeEnd), Is.Zero);
        _fs.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public void HeaderShorterThanItsStructIsRefusedWhenItsIdCanBeRead()
    {
        var bytes = Request(FuseOpcode.GetAttr, Root, []);
        var reply = Send(bytes.AsSpan(0, 24).ToArray());
        Assert.That(reply.Error, Is.EqualTo(-LinuxNative.EInval));
        Assert.That(reply.Unique, Is.EqualTo(_unique));
        Assert.That(Send(bytes.AsSpan(0, 6).ToArray(), expectReply: false).Error, Is.Null, "too short to name its request: dropped");
        Assert.That(_logger.Messages, Has.Some.Contains("shorter than the 40-byte header"));
        AssertStillServing();
    }

    [Test]
    public void LengthThatDiffersFromTheBytesReadIsRefused()
    {
        var bytes = Request(FuseOpcode.GetAttr, Root, new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length + 100);
        Assert.That(Send(bytes).Error, Is.EqualTo(-LinuxNative.EInval));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, HeaderBytes);
        Assert.That(Send(bytes).Error, Is.EqualTo(-LinuxNative.EInval), "a length shorter than what was read");
        Assert.That(_logger.Messages, Has.Some.Contains("the header says"));
        AssertStillServing();
    }

    [Test]
    public void ExtensionsLongerThanTheRequestAreRefused()
    {
        var bytes = Request(FuseOpcode.GetAttr, Root, new byte[16]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(36), 10);
        Assert.That(Send(bytes).Error, Is.EqualTo(-LinuxNative.EInval));
        AssertStillServing();
    }

    [Test]
    public void NameWithoutItsNulIsRefused()
    {
        Assert.That(Send(Request(FuseOpcode.Lookup, Root, "abc"u8.ToArray())).Error, Is.EqualTo(-LinuxNative.EInval));
        Assert.That(Send(Request(FuseOpcode.Unlink, Root, "abc"u8.ToArray())).Error, Is.EqualTo(-LinuxNative.EInval));
        Assert.That(_logger.Messages, Has.Some.Contains("no NUL"));
        AssertStillServing();
    }

    [Test]
    public void NamePastTheBodyIsRefusedAndChangesNothing()
    {
        // MKDIR's struct alone: the name would start where the body ends.
        Assert.That(Send(Request(FuseOpcode.MkDir, Root, new byte[8])).Error, Is.EqualTo(-LinuxNative.EInval));
        // SYMLINK with its name but not its target.
        Assert.That(Send(Request(FuseOpcode.Symlink, Root, "link\0"u8.ToArray())).Error, Is.EqualTo(-LinuxNative.EInval));
        Assert.That(_fs.Lookup(1, "link", out _), Is.EqualTo(WinReflink.Core.Errors.FsError.NotFound), "no half-made symlink");
        Assert.That(_logger.Messages, Has.Some.Contains("a name at byte"));
        AssertStillServing();
    }

    [Test]
    public void BodyShorterThanTheOpcodesStructIsRefused()
    {
        Assert.That(Send(Request(FuseOpcode.MkDir, Root, [1, 2, 3, 4])).Error, Is.EqualTo(-LinuxNative.EInval), "MKDIR");
        Assert.That(Send(Request(FuseOpcode.SetAttr, Root, new byte[20])).Error, Is.EqualTo(-LinuxNative.EInval), "SETATTR");
        Assert.That(Send(Request(FuseOpcode.Read, Root, new byte[8])).Error, Is.EqualTo(-LinuxNative.EInval), "READ");
        Assert.That(Send(Request(FuseOpcode.Rename2, Root, new byte[4])).Error, Is.EqualTo(-LinuxNative.EInval), "RENAME2");
        Assert.That(_logger.Messages, Has.Some.Contains("is shorter than its"));
        AssertStillServing();
    }

    [Test]
    public void WriteLongerThanItsBodyIsRefused()
    {
        long ino = MakeFile("data");
        var body = new byte[40 + 10];
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), 4096);
        Assert.That(Send(Request(FuseOpcode.Write, (ulong)ino, body)).Error, Is.EqualTo(-LinuxNative.EInval));
        _fs.GetAttributes(ino, out var a);
        Assert.That(a.Size, Is.Zero, "nothing written");
        AssertStillServing();
    }

    [Test]
    public void ForgetsWithShortBodiesGetNoReplyAndKeepServing()
    {
        Assert.That(Send(Request(FuseOpcode.Forget, Root, []), expectReply: false).Error, Is.Null);
        var batch = new byte[8 + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(batch, 1000);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(8), 12345);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(16), 1);
        Assert.That(Send(Request(FuseOpcode.BatchForget, 0, batch), expectReply: false).Error, Is.Null);
        Assert.That(_logger.Messages, Has.Some.Contains("1000 entries announced"));
        AssertStillServing();
    }

    [Test]
    public void RefusedReplyGivesBackTheLookupReferenceAndIsLogged()
    {
        long ino = MakeFile("victim");
        using var devNull = File.OpenHandle("/dev/null");
        int readOnly = (int)devNull.DangerousGetHandle();
        using var refusing = new ReplyWriter(readOnly, _logger);
        var session = new FuseSession(readOnly, _operations, _logger);
        var lookup = Request(FuseOpcode.Lookup, Root, "victim\0"u8.ToArray());
        fixed (byte* p = lookup)
        {
            Assert.That(session.Serve(p, lookup.Length, refusing), Is.True, "the worker goes on");
        }
        Assert.That(_logger.Messages, Has.Some.Contains("was refused"));
        Assert.That(_fs.Unlink(1, "victim"), Is.EqualTo(WinReflink.Core.Errors.FsError.Ok));
        Assert.That(_fs.GetAttributes(ino, out _), Is.EqualTo(WinReflink.Core.Errors.FsError.NotFound),
            "the kernel never got the entry, so no reference keeps the unlinked inode");
    }

    [Test]
    public void ForgetReleasesAnUnlinkedInodeOnlyAtTheLastLookup()
    {
        long ino = MakeFile("twice");
        var lookup = Request(FuseOpcode.Lookup, Root, "twice\0"u8.ToArray());
        Assert.That(Send(lookup).Error, Is.Zero);
        Assert.That(Send(Request(FuseOpcode.Lookup, Root, "twice\0"u8.ToArray())).Error, Is.Zero);
        Assert.That(Send(Request(FuseOpcode.Unlink, Root, "twice\0"u8.ToArray())).Error, Is.Zero);
        Assert.That(Send(Request(FuseOpcode.GetAttr, (ulong)ino, new byte[16])).Error, Is.Zero, "the kernel still holds it: attributes readable");
        Assert.That(Send(Request(FuseOpcode.Forget, (ulong)ino, BitConverter.GetBytes(1UL)), expectReply: false).Error, Is.Null);
        Assert.That(_fs.GetAttributes(ino, out _), Is.EqualTo(WinReflink.Core.Errors.FsError.Ok), "one lookup is still held");
        var batch = new byte[8 + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(batch, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(8), (ulong)ino);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(16), 1);
        Assert.That(Send(Request(FuseOpcode.BatchForget, 0, batch), expectReply: false).Error, Is.Null);
        Assert.That(_fs.GetAttributes(ino, out _), Is.EqualTo(WinReflink.Core.Errors.FsError.NotFound), "reclaimed with the last forget");
        Assert.That(_fs.Check(), Is.Empty);
    }

    [Test]
    public void RemovedOpenDirectoryIsListedEmptyUntilItsRelease()
    {
        var mkdir = new byte[8 + 2];
        BinaryPrimitives.WriteUInt32LittleEndian(mkdir, 0x1ed);
        "d\0"u8.CopyTo(mkdir.AsSpan(8));
        var made = Send(Request(FuseOpcode.MkDir, Root, mkdir));
        Assert.That(made.Error, Is.Zero);
        ulong dir = BinaryPrimitives.ReadUInt64LittleEndian(made.Payload);
        var opened = Send(Request(FuseOpcode.OpenDir, dir, new byte[8]));
        Assert.That(opened.Error, Is.Zero);
        ulong fh = BinaryPrimitives.ReadUInt64LittleEndian(opened.Payload);
        Assert.That(Send(Request(FuseOpcode.RmDir, Root, "d\0"u8.ToArray())).Error, Is.Zero);
        // The kernel forgets the entry MKDIR gave it; the open handle still holds the directory.
        Assert.That(Send(Request(FuseOpcode.Forget, dir, BitConverter.GetBytes(1UL)), expectReply: false).Error, Is.Null);

        var read = new byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(read, fh);
        BinaryPrimitives.WriteUInt32LittleEndian(read.AsSpan(16), 4096);
        var listing = Send(Request(FuseOpcode.ReadDir, dir, read));
        Assert.That(listing.Error, Is.Zero, "READDIR of the removed, open directory");
        Assert.That(DirentNames(listing.Payload), Is.EqualTo(new[] { ".", ".." }));
        Assert.That(_fs.Check(), Is.Empty, "an open removed directory is a valid orphan");

        var release = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(release, fh);
        Assert.That(Send(Request(FuseOpcode.ReleaseDir, dir, release)).Error, Is.Zero);
        Assert.That(_fs.GetAttributes((long)dir, out _), Is.EqualTo(WinReflink.Core.Errors.FsError.NotFound), "reclaimed at the last release");
        Assert.That(_fs.Check(), Is.Empty);
    }

    private static List<string> DirentNames(byte[] payload)
    {
        // struct fuse_dirent: u64 ino, u64 off, u32 namelen, u32 type, name, padded to 8.
        var names = new List<string>();
        for (int at = 0; at < payload.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(at + 16));
            names.Add(System.Text.Encoding.UTF8.GetString(payload, at + 24, length));
            at += (24 + length + 7) & ~7;
        }
        return names;
    }

    /// <summary>A well-formed request after the bad ones is answered: the worker is alive and the state intact.</summary>
    private void AssertStillServing()
    {
        var reply = Send(Request(FuseOpcode.GetAttr, Root, new byte[16]));
        Assert.That(reply.Error, Is.Zero, "GETATTR of the root after the malformed requests");
        Assert.That(_fs.Check(), Is.Empty);
    }

    private long MakeFile(string name)
    {
        Assert.That(_fs.Create(1, name, new CreateRequest(0x81a4, 0, 0), out var a), Is.EqualTo(WinReflink.Core.Errors.FsError.Ok));
        return a.Ino;
    }

    private byte[] Request(FuseOpcode opcode, ulong node, byte[] body)
    {
        var bytes = new byte[HeaderBytes + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ++_unique);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), node);
        body.CopyTo(bytes, HeaderBytes);
        return bytes;
    }

    /// <summary>Serves the bytes as one read from /dev/fuse, answering through <paramref name="reply"/> (a worker's writer).</summary>
    private void Serve(byte[] bytes, ReplyWriter reply)
    {
        // The buffer the session reads into is larger than any request: copy into one like it.
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(FuseConstants.RequestBufferBytes, 4096);
        try
        {
            bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
            Assert.That(_session.Serve(buffer, bytes.Length, reply), Is.True, "the session goes on");
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Serves the bytes as one read from /dev/fuse; the reply's error and unique, or nulls when nothing was written.</summary>
    private (int? Error, ulong Unique, byte[] Payload) Send(byte[] bytes, bool expectReply = true)
    {
        Serve(bytes, _reply);
        byte* reply = stackalloc byte[4096];
        nint n = Read(_readEnd, reply, 4096);
        if (n < 0)
        {
            Assert.That(expectReply, Is.False, "no reply was written");
            return (null, 0, []);
        }
        Assert.That(expectReply, Is.True, "a reply to a request that takes none");
        Assert.That((long)n, Is.GreaterThanOrEqualTo(16));
        Assert.That(*(uint*)reply, Is.EqualTo((uint)n), "the reply's length is what was written");
        return (*(int*)(reply + 4), *(ulong*)(reply + 8), new ReadOnlySpan<byte>(reply + 16, (int)n - 16).ToArray());
    }
}
