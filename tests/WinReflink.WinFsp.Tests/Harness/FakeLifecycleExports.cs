using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Tests.Harness;

/// <summary>
/// TEST DOUBLE. Records the host's lifecycle calls in order and keeps what FspFileSystemCreate was given
/// (the device, a copy of the volume parameters, the interface table pointer); the "FSP_FILE_SYSTEM" it
/// returns is a zeroed block of the DLL's size.
/// </summary>
internal static unsafe class FakeLifecycleExports
{
    public static readonly List<string> Calls = [];
    public static string Device = "";
    public static VolumeParams Params;
    public static nint Interface;
    public static nint FileSystem;
    public static string? MountPointGiven;
    public static int SetMountPointStatus;

    public static WinFspApi Api()
    {
        var api = FakeWinFspExports.Api();
        api.FileSystemCreate = &Create;
        api.FileSystemDelete = &Delete;
        api.FileSystemSetMountPointEx = &SetMountPointEx;
        api.FileSystemStartDispatcher = &StartDispatcher;
        api.FileSystemStopDispatcher = &StopDispatcher;
        api.FileSystemMountPoint = &MountPoint;
        api.FileSystemSetOperationGuardStrategy = &SetGuard;
        api.FileSystemSetDebugLog = &SetDebugLog;
        return api;
    }

    public static void Reset()
    {
        Calls.Clear();
        SetMountPointStatus = 0;
        MountPointGiven = null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Create(char* device, VolumeParams* parameters, nint iface, nint* fileSystem)
    {
        Calls.Add("Create");
        Device = new string(device);
        Params = *parameters;
        Interface = iface;
        FileSystem = (nint)NativeMemory.AllocZeroed(FileSystemLayout.Size64);
        *fileSystem = FileSystem;
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Delete(nint fs)
    {
        Calls.Add("Delete");
        NativeMemory.Free((void*)fs);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int SetMountPointEx(nint fs, char* mountPoint, nint sd)
    {
        Calls.Add("SetMountPointEx");
        MountPointGiven = mountPoint == null ? null : new string(mountPoint);
        return SetMountPointStatus;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int StartDispatcher(nint fs, uint threads)
    {
        Calls.Add($"StartDispatcher({threads})");
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void StopDispatcher(nint fs) => Calls.Add("StopDispatcher");

    private static readonly char* Drive = (char*)Marshal.StringToHGlobalUni("Z:");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static char* MountPoint(nint fs) => Drive;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void SetGuard(nint fs, int strategy) => Calls.Add($"SetOperationGuardStrategy({strategy})");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void SetDebugLog(nint fs, uint mask) => Calls.Add($"SetDebugLog({mask})");
}
