namespace WinReflink.WinFsp.Interop;

/// <summary>
/// The WinFsp DLL exports the host calls, one declaration each (winfsp.md 1.3, 1.4: the F twins of the
/// inline setters). All are cdecl (1.2). Filled by <see cref="WinFspLibrary"/> from the DLL; tests fill
/// the few that the adapter calls with managed doubles.
/// </summary>
internal sealed unsafe class WinFspApi
{
    /// <summary>Every export bound, in the order <see cref="WinFspLibrary"/> resolves them.</summary>
    public static readonly string[] ExportNames =
    [
        "FspVersion",
        "FspFileSystemCreate",
        "FspFileSystemDelete",
        "FspFileSystemSetMountPointEx",
        "FspFileSystemRemoveMountPoint",
        "FspFileSystemStartDispatcher",
        "FspFileSystemStopDispatcher",
        "FspFileSystemMountPointF",
        "FspFileSystemSetOperationGuardStrategyF",
        "FspFileSystemSetDebugLogF",
        "FspFileSystemAddDirInfo",
        "FspFileSystemNotifyBegin",
        "FspFileSystemNotify",
        "FspFileSystemNotifyEnd",
        "FspSetSecurityDescriptor",
        "FspDeleteSecurityDescriptor",
    ];

    /// <summary>NTSTATUS FspVersion(PUINT32 PVersion): major &lt;&lt; 16 | minor.</summary>
    public delegate* unmanaged[Cdecl]<uint*, int> Version;
    /// <summary>NTSTATUS FspFileSystemCreate(PWSTR DevicePath, const VOLUME_PARAMS*, const INTERFACE*, FSP_FILE_SYSTEM**).</summary>
    public delegate* unmanaged[Cdecl]<char*, VolumeParams*, nint, nint*, int> FileSystemCreate;
    public delegate* unmanaged[Cdecl]<nint, void> FileSystemDelete;
    /// <summary>NTSTATUS FspFileSystemSetMountPointEx(FSP_FILE_SYSTEM*, PWSTR MountPoint /*NULL = next free drive*/, PSECURITY_DESCRIPTOR).</summary>
    public delegate* unmanaged[Cdecl]<nint, char*, nint, int> FileSystemSetMountPointEx;
    public delegate* unmanaged[Cdecl]<nint, void> FileSystemRemoveMountPoint;
    public delegate* unmanaged[Cdecl]<nint, uint, int> FileSystemStartDispatcher;
    public delegate* unmanaged[Cdecl]<nint, void> FileSystemStopDispatcher;
    public delegate* unmanaged[Cdecl]<nint, char*> FileSystemMountPoint;
    public delegate* unmanaged[Cdecl]<nint, int, void> FileSystemSetOperationGuardStrategy;
    public delegate* unmanaged[Cdecl]<nint, uint, void> FileSystemSetDebugLog;
    /// <summary>BOOLEAN FspFileSystemAddDirInfo(DIR_INFO* /*NULL = end marker*/, PVOID Buffer, ULONG Length, PULONG PBytesTransferred).</summary>
    public delegate* unmanaged[Cdecl]<DirInfo*, void*, uint, uint*, byte> AddDirInfo;
    public delegate* unmanaged[Cdecl]<nint, uint, int> NotifyBegin;
    public delegate* unmanaged[Cdecl]<nint, NotifyInfo*, nuint, int> Notify;
    public delegate* unmanaged[Cdecl]<nint, int> NotifyEnd;
    /// <summary>NTSTATUS FspSetSecurityDescriptor(PSECURITY_DESCRIPTOR Input, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR Modification, PSECURITY_DESCRIPTOR* Result).</summary>
    public delegate* unmanaged[Cdecl]<nint, uint, nint, nint*, int> SetSecurityDescriptor;
    /// <summary>VOID FspDeleteSecurityDescriptor(PSECURITY_DESCRIPTOR, NTSTATUS (*CreateFunc)()): CreateFunc is FspSetSecurityDescriptor's address.</summary>
    public delegate* unmanaged[Cdecl]<nint, nint, void> DeleteSecurityDescriptor;

    /// <summary>Binds every export through <paramref name="resolve"/>, which returns 0 for a missing one.</summary>
    public static WinFspApi Bind(Func<string, nint> resolve)
    {
        var missing = new List<string>();
        nint Get(string name)
        {
            nint p = resolve(name);
            if (p == 0)
            {
                missing.Add(name);
            }
            return p;
        }
        var api = new WinFspApi
        {
            Version = (delegate* unmanaged[Cdecl]<uint*, int>)Get("FspVersion"),
            FileSystemCreate = (delegate* unmanaged[Cdecl]<char*, VolumeParams*, nint, nint*, int>)Get("FspFileSystemCreate"),
            FileSystemDelete = (delegate* unmanaged[Cdecl]<nint, void>)Get("FspFileSystemDelete"),
            FileSystemSetMountPointEx = (delegate* unmanaged[Cdecl]<nint, char*, nint, int>)Get("FspFileSystemSetMountPointEx"),
            FileSystemRemoveMountPoint = (delegate* unmanaged[Cdecl]<nint, void>)Get("FspFileSystemRemoveMountPoint"),
            FileSystemStartDispatcher = (delegate* unmanaged[Cdecl]<nint, uint, int>)Get("FspFileSystemStartDispatcher"),
            FileSystemStopDispatcher = (delegate* unmanaged[Cdecl]<nint, void>)Get("FspFileSystemStopDispatcher"),
            FileSystemMountPoint = (delegate* unmanaged[Cdecl]<nint, char*>)Get("FspFileSystemMountPointF"),
            FileSystemSetOperationGuardStrategy = (delegate* unmanaged[Cdecl]<nint, int, void>)Get("FspFileSystemSetOperationGuardStrategyF"),
            FileSystemSetDebugLog = (delegate* unmanaged[Cdecl]<nint, uint, void>)Get("FspFileSystemSetDebugLogF"),
            AddDirInfo = (delegate* unmanaged[Cdecl]<DirInfo*, void*, uint, uint*, byte>)Get("FspFileSystemAddDirInfo"),
            NotifyBegin = (delegate* unmanaged[Cdecl]<nint, uint, int>)Get("FspFileSystemNotifyBegin"),
            Notify = (delegate* unmanaged[Cdecl]<nint, NotifyInfo*, nuint, int>)Get("FspFileSystemNotify"),
            NotifyEnd = (delegate* unmanaged[Cdecl]<nint, int>)Get("FspFileSystemNotifyEnd"),
            SetSecurityDescriptor = (delegate* unmanaged[Cdecl]<nint, uint, nint, nint*, int>)Get("FspSetSecurityDescriptor"),
            DeleteSecurityDescriptor = (delegate* unmanaged[Cdecl]<nint, nint, void>)Get("FspDeleteSecurityDescriptor"),
        };
        if (missing.Count > 0)
        {
            throw new WinFspLoadException($"the WinFsp DLL lacks the export{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}; install WinFsp 2.0 or later from https://winfsp.dev/rel/");
        }
        return api;
    }
}
