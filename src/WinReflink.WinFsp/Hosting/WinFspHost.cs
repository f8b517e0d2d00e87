using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Hosting;

/// <summary>
/// One mounted volume, in the order of winfsp.md 1.5: FspFileSystemCreate (WinFsp.Disk, or WinFsp.Net
/// with a UNC prefix) → the adapter's GCHandle in UserContext (offset 8) → FINE operation guard → no
/// debug log → SetMountPointEx → StartDispatcher(0); and on <see cref="Dispose"/> StopDispatcher →
/// Delete. The interface table lives, unmoved, until after Delete.
/// </summary>
public sealed unsafe class WinFspHost : IDisposable
{
    public const string DiskDevice = "WinFsp.Disk";
    public const string NetDevice = "WinFsp.Net";

    private readonly WinFspApi _api;
    private readonly ILogger _logger;
    private readonly WinFspAdapter _adapter;
    private nint _table;
    private nint _fileSystem;
    private GCHandle _self;
    private bool _dispatching;

    private WinFspHost(WinFspApi api, WinFspAdapter adapter, ILogger logger)
    {
        _api = api;
        _adapter = adapter;
        _logger = logger;
    }

    /// <summary>Where Windows sees the volume (`R:`, or the directory), as WinFsp reports it.</summary>
    public string MountPoint { get; private set; } = "";

    /// <summary>Raised when WinFsp stops the dispatcher; the argument is false when the driver did it on its own.</summary>
    public event Action<bool>? Stopped
    {
        add => _adapter.Stopped += value;
        remove => _adapter.Stopped -= value;
    }

    /// <summary>
    /// Mounts <paramref name="fs"/> at <paramref name="mountPoint"/> (`X:`, a directory that does not
    /// exist yet, or null for the first free drive letter). <paramref name="volumePrefix"/> (`\server\share`)
    /// makes it a network volume, as the launcher's %1 asks (6.1).
    /// </summary>
    internal static WinFspHost Mount(WinFspApi api, FileSystem fs, string? mountPoint, WinFspMountOptions options, ILoggerFactory loggerFactory,
        string? volumePrefix = null)
    {
        var logger = loggerFactory.CreateLogger("WinReflink.WinFsp");
        var host = new WinFspHost(api, new WinFspAdapter(fs, api, options, logger), logger);
        try
        {
            host.Start(fs, mountPoint, options, volumePrefix);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private void Start(FileSystem fs, string? mountPoint, WinFspMountOptions options, string? volumePrefix)
    {
        var parameters = VolumeParamsBuilder.Build(fs, options, volumePrefix);
        _table = WinFspAdapter.AllocateInterfaceTable();
        nint created = 0;
        int status;
        fixed (char* device = volumePrefix == null ? DiskDevice : NetDevice)
        {
            status = _api.FileSystemCreate(device, &parameters, _table, &created);
        }
        Check(status, "FspFileSystemCreate");
        _fileSystem = created;
        _self = GCHandle.Alloc(_adapter);
        *(nint*)(_fileSystem + FileSystemLayout.UserContextOffset) = GCHandle.ToIntPtr(_self);
        _adapter.NativeFileSystem = _fileSystem;
        _api.FileSystemSetOperationGuardStrategy(_fileSystem, OperationGuardStrategy.Fine);
        _api.FileSystemSetDebugLog(_fileSystem, 0);
        fixed (char* point = mountPoint)
        {
            status = _api.FileSystemSetMountPointEx(_fileSystem, point, 0);
        }
        Check(status, $"FspFileSystemSetMountPointEx({mountPoint ?? "*"})");
        Check(_api.FileSystemStartDispatcher(_fileSystem, 0), "FspFileSystemStartDispatcher");
        _dispatching = true;
        char* reported = _api.FileSystemMountPoint(_fileSystem);
        MountPoint = reported == null ? mountPoint ?? "" : new string(reported);
        _logger.LogInformation("Mounted {Volume} at {MountPoint}", fs.VolumePath, MountPoint);
    }

    private static void Check(int status, string step)
    {
        if (status != NtStatus.Success)
        {
            throw new WinFspMountException($"{step} failed with NTSTATUS 0x{status:X8}{Explain(status)}");
        }
    }

    private static string Explain(int status) => status switch
    {
        NtStatus.ObjectNameCollision or NtStatus.AccessDenied => " (the drive letter or directory is already in use)",
        NtStatus.ObjectPathNotFound or NtStatus.ObjectNameInvalid => " (the mount point is not a drive letter or a directory path whose parent exists)",
        NtStatus.InvalidParameter => " (the mount point is not valid, or is already set)",
        _ => "",
    };

    /// <summary>Stops the dispatcher (waiting for callbacks in flight), unmounts, and frees the table. Idempotent.</summary>
    public void Dispose()
    {
        if (_fileSystem != 0)
        {
            if (_dispatching)
            {
                _api.FileSystemStopDispatcher(_fileSystem);
                _dispatching = false;
            }
            _api.FileSystemDelete(_fileSystem);
            _fileSystem = 0;
        }
        if (_self.IsAllocated)
        {
            _self.Free();
        }
        if (_table != 0)
        {
            WinFspAdapter.FreeInterfaceTable(_table);
            _table = 0;
        }
    }
}
