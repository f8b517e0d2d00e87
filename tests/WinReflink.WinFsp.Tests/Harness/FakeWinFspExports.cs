using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Tests.Harness;

/// <summary>
/// TEST DOUBLE. Managed stand-ins for the few WinFsp exports the adapter itself calls back into, built
/// from the documented behaviour (winfsp.md 2.5, 3.3, 3.7), so the adapter runs without the DLL. The C
/// stand-in (branch standin) proves the real path; this only lets the adapter's own logic be tested.
/// </summary>
internal static unsafe class FakeWinFspExports
{
    /// <summary>One FspFileSystemNotify call as the adapter made it.</summary>
    internal readonly record struct NotifyCall(uint Filter, uint Action, string FileName);

    public static readonly ConcurrentQueue<NotifyCall> Notifications = new();
    public static int NotifyBeginStatus { get; set; }
    public static int NotifyEndCalls;

    public static WinFspApi Api() => new()
    {
        AddDirInfo = &AddDirInfo,
        SetSecurityDescriptor = &SetSecurityDescriptor,
        DeleteSecurityDescriptor = &DeleteSecurityDescriptor,
        NotifyBegin = &NotifyBegin,
        Notify = &Notify,
        NotifyEnd = &NotifyEnd,
    };

    /// <summary>
    /// As FspFileSystemAddDirInfo: copy Size bytes at Buffer + *PBytesTransferred, advance by Size
    /// rounded up to 8, FALSE when it does not fit; NULL writes the 2-byte zero end marker.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte AddDirInfo(DirInfo* info, void* buffer, uint length, uint* transferred)
    {
        uint source = info == null ? 2u : info->Size;
        uint step = info == null ? 2u : (source + 7) & ~7u;
        if (*transferred + step > length)
        {
            return 0;
        }
        byte* at = (byte*)buffer + *transferred;
        if (info == null)
        {
            at[0] = 0;
            at[1] = 0;
        }
        else
        {
            Buffer.MemoryCopy(info, at, length - *transferred, source);
        }
        *transferred += step;
        return 1;
    }

    /// <summary>Not a real merge of security information: the modification replaces the whole descriptor.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int SetSecurityDescriptor(nint input, uint securityInformation, nint modification, nint* result)
    {
        int length = SecurityDescriptors.Length(modification);
        if (length < 0 || SecurityDescriptors.Length(input) < 0)
        {
            return NtStatus.InvalidSecurityDescr;
        }
        nint copy = Marshal.AllocHGlobal(length);
        Buffer.MemoryCopy((void*)modification, (void*)copy, length, length);
        *result = copy;
        return NtStatus.Success;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void DeleteSecurityDescriptor(nint descriptor, nint createFunction)
    {
        Marshal.FreeHGlobal(descriptor);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int NotifyBegin(nint fileSystem, uint timeout) => NotifyBeginStatus;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Notify(nint fileSystem, NotifyInfo* info, nuint size)
    {
        int chars = (info->Size - NotifyInfo.HeaderSize) / sizeof(char);
        Notifications.Enqueue(new NotifyCall(info->Filter, info->Action, new string((char*)((byte*)info + NotifyInfo.HeaderSize), 0, chars)));
        return NtStatus.Success;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int NotifyEnd(nint fileSystem)
    {
        Interlocked.Increment(ref NotifyEndCalls);
        return NtStatus.Success;
    }
}
