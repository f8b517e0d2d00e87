using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using WinReflink.Protocol;
using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>The DeviceIoControl channel (winfsp.md 4.2): info, extents, and the clone-token protocol with Notify.</summary>
public sealed class ControlTests : AdapterFixture
{
    private static byte[] Bytes<T>(T value) where T : struct
    {
        var bytes = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(bytes, value);
        return bytes;
    }

    private ulong Token(nint readHandle)
    {
        var output = new byte[8];
        Assert.That(H.Control(readHandle, WindowsIoctl.GetCloneToken, [], output, out uint n), Is.EqualTo(NtStatus.Success));
        Assert.That(n, Is.EqualTo(8));
        return MemoryMarshal.Read<CloneToken>(output).Token;
    }

    [Test]
    public void CloneFromATokenSharesTheDataAndNotifiesWindowsOfTheDestination()
    {
        var data = Pattern(3 * 4096 + 100);
        H.WriteFile(@"\Source.bin", data);
        H.Open(@"\source.bin", 0, ReadAccess, out nint src, out _, out _);
        ulong token = Token(src);
        Assert.That(H.CreateFile(@"\Copy.bin", Disposition.Create, 0, WriteAccess, out nint dst), Is.EqualTo(NtStatus.Success));
        var request = Bytes(new CloneFromTokenRequest { Token = token, Length = ulong.MaxValue });
        var output = new byte[request.Length];
        Assert.That(H.Control(dst, WindowsIoctl.CloneFromToken, request, output, out uint n), Is.EqualTo(NtStatus.Success));
        Assert.That(n, Is.EqualTo((uint)output.Length));
        Assert.That(MemoryMarshal.Read<CloneFromTokenRequest>(output).Length, Is.EqualTo((ulong)data.Length));

        // Windows must drop what it cached of the destination: one notify with its normalized full path (3.7).
        Assert.That(FakeWinFspExports.Notifications.ToArray(), Is.EqualTo(new[]
        {
            new FakeWinFspExports.NotifyCall(NotifyValues.ChangeSize | NotifyValues.ChangeLastWrite, NotifyValues.ActionModified, @"\Copy.bin"),
        }));
        H.CloseHandle(src);
        H.CloseHandle(dst);
        Assert.That(H.ReadAll(@"\copy.bin"), Is.EqualTo(data));

        H.Open(@"\Copy.bin", 0, ReadAccess, out nint check, out _, out _);
        var page = new byte[ControlProtocol.ExtentsPageBytes];
        Assert.That(H.Control(check, WindowsIoctl.Extents, Bytes(new ExtentsPageHeader()), page, out _), Is.EqualTo(NtStatus.Success));
        var header = MemoryMarshal.Read<ExtentsPageHeader>(page);
        var first = MemoryMarshal.Read<ExtentRecord>(page.AsSpan(Marshal.SizeOf<ExtentsPageHeader>()));
        Assert.That(header.Count, Is.GreaterThan(0));
        Assert.That(first.ShareCount, Is.EqualTo(2), "the aligned blocks are shared with the source");
        H.CloseHandle(check);
    }

    [Test]
    public void ATokenNeedsReadAccessAndACloneNeedsWriteAccess()
    {
        H.WriteFile(@"\s", Pattern(4096));
        H.Open(@"\s", 0, AccessMask.Delete, out nint noRead, out _, out _);
        Assert.That(H.Control(noRead, WindowsIoctl.GetCloneToken, [], new byte[8], out _), Is.EqualTo(NtStatus.AccessDenied));
        H.Open(@"\s", 0, ReadAccess, out nint reader, out _, out _);
        ulong token = Token(reader);
        var request = Bytes(new CloneFromTokenRequest { Token = token, Length = ulong.MaxValue });
        Assert.That(H.Control(reader, WindowsIoctl.CloneFromToken, request, new byte[request.Length], out _), Is.EqualTo(NtStatus.AccessDenied));
        Assert.That(FakeWinFspExports.Notifications, Is.Empty);
        H.CloseHandle(noRead);
        H.CloseHandle(reader);
    }

    [Test]
    public void AnUnknownTokenIsAccessDeniedAndChangesNothing()
    {
        H.WriteFile(@"\d", [1, 2, 3]);
        H.Open(@"\d", 0, WriteAccess, out nint dst, out _, out _);
        var request = Bytes(new CloneFromTokenRequest { Token = 12345, Length = ulong.MaxValue });
        Assert.That(H.Control(dst, WindowsIoctl.CloneFromToken, request, new byte[request.Length], out _), Is.EqualTo(NtStatus.AccessDenied));
        H.CloseHandle(dst);
        Assert.That(H.ReadAll(@"\d"), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void ANotifyThatCannotWaitIsLoggedAndTheCloneStillSucceeds()
    {
        // NotifyBegin answers STATUS_CANT_WAIT while a rename runs (4.2): no Notify, no NotifyEnd, success.
        FakeWinFspExports.NotifyBeginStatus = NtStatus.CantWait;
        int endsBefore = FakeWinFspExports.NotifyEndCalls;
        H.WriteFile(@"\s", Pattern(8192));
        H.Open(@"\s", 0, ReadAccess, out nint src, out _, out _);
        H.CreateFile(@"\d", Disposition.Create, 0, WriteAccess, out nint dst);
        var request = Bytes(new CloneFromTokenRequest { Token = Token(src), Length = ulong.MaxValue });
        Assert.That(H.Control(dst, WindowsIoctl.CloneFromToken, request, new byte[request.Length], out _), Is.EqualTo(NtStatus.Success));
        Assert.That(FakeWinFspExports.Notifications, Is.Empty);
        Assert.That(FakeWinFspExports.NotifyEndCalls, Is.EqualTo(endsBefore));
        H.CloseHandle(src);
        H.CloseHandle(dst);
    }

    [Test]
    public void InfoAnswersTheVolumeFiguresAsJsonOnTheRoot()
    {
        H.Open(@"\", DirectoryFile, ReadAccess, out nint root, out _, out _);
        var output = new byte[ControlProtocol.InfoBytes];
        Assert.That(H.Control(root, WindowsIoctl.Info, [], output, out _), Is.EqualTo(NtStatus.Success));
        int end = Array.IndexOf(output, (byte)0);
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(output, 0, end));
        Assert.That(json.RootElement.GetProperty("label").GetString(), Is.EqualTo("Test"));
        Assert.That(H.Control(root, WindowsIoctl.Info, [], new byte[16], out _), Is.EqualTo(NtStatus.BufferOverflow), "becomes BUFFER_TOO_SMALL in the DLL");
        H.CloseHandle(root);
    }

    [Test]
    public void ExtentsArePagedByStartIndex()
    {
        // Sparse writes make one extent per written block; 300 of them take three pages of 127.
        H.CreateFile(@"\sparse", Disposition.Create, 0, WriteAccess, out nint h);
        for (int i = 0; i < 300; i++)
        {
            H.Write(h, [1], (ulong)i * 8192, out _, out _);
        }
        var all = new List<ExtentRecord>();
        var page = new byte[ControlProtocol.ExtentsPageBytes];
        ExtentsPageHeader header;
        do
        {
            Assert.That(H.Control(h, WindowsIoctl.Extents, Bytes(new ExtentsPageHeader { StartIndex = (ulong)all.Count }), page, out uint n), Is.EqualTo(NtStatus.Success));
            header = MemoryMarshal.Read<ExtentsPageHeader>(page);
            Assert.That(n, Is.EqualTo(32 + header.Count * 32));
            all.AddRange(MemoryMarshal.Cast<byte, ExtentRecord>(page.AsSpan(32))[..(int)header.Count].ToArray());
        }
        while (header.Count > 0 && (ulong)all.Count < header.Total);
        Assert.That(all, Has.Count.EqualTo(300));
        Assert.That(all.Select(r => r.LogicalOffset), Is.EqualTo(Enumerable.Range(0, 300).Select(i => (ulong)i * 8192)));
        H.CloseHandle(h);
    }

    [Test]
    public void AnUnknownCodeIsAnInvalidDeviceRequest()
    {
        H.Open(@"\", DirectoryFile, ReadAccess, out nint root, out _, out _);
        Assert.That(H.Control(root, WindowsIoctl.CtlCode(0x8057, 0x8FF, 0, 0), [], new byte[8], out _), Is.EqualTo(NtStatus.InvalidDeviceRequest));
        H.CloseHandle(root);
    }
}
