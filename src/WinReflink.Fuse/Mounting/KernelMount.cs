using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Interop;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Mounting;

/// <summary>
/// Attaches a /dev/fuse connection to a directory: mount(2) directly as root, or fusermount3 (which
/// passes the opened fd back over a socket named by _FUSE_COMMFD) as a user, as libfuse does.
/// </summary>
internal sealed class KernelMount
{
    private KernelMount(int fd, string mountPoint, bool viaFusermount)
    {
        Fd = fd;
        MountPoint = mountPoint;
        ViaFusermount = viaFusermount;
    }

    public int Fd { get; }
    public string MountPoint { get; }
    public bool ViaFusermount { get; }

    public static KernelMount Mount(string mountPoint, string source, FuseMountOptions options)
    {
        if (!File.Exists("/dev/fuse"))
        {
            throw new MountException("/dev/fuse does not exist: load the fuse module (modprobe fuse) or run where FUSE is available");
        }
        string full = Mountpoint.Validate(mountPoint);
        return Libc.GetEffectiveUid() == 0 ? MountAsRoot(full, source, options) : MountWithFusermount(full, source, options);
    }

    private static KernelMount MountAsRoot(string target, string source, FuseMountOptions options)
    {
        int fd = Libc.Open("/dev/fuse", LinuxNative.ORdWr | LinuxNative.OCloExec, 0);
        if (fd < 0)
        {
            int err = LinuxNative.LastError;
            throw new MountException($"cannot open /dev/fuse: {LinuxNative.Describe(err)}");
        }
        string data = string.Create(CultureInfo.InvariantCulture,
            $"fd={fd},rootmode=40000,user_id={Libc.GetEffectiveUid()},group_id={Libc.GetEffectiveGid()},default_permissions{(options.AllowOther ? ",allow_other" : "")},max_read={FuseConstants.MaxWrite}");
        nuint flags = LinuxNative.MsNoSuid | LinuxNative.MsNoDev | (options.ReadOnly ? LinuxNative.MsRdOnly : 0);
        if (LinuxNative.Mount(source, target, "fuse.winreflink", flags, data) != 0)
        {
            int err = LinuxNative.LastError;
            Libc.Close(fd);
            throw new MountException($"mount of {target} failed: {LinuxNative.Describe(err)}");
        }
        return new KernelMount(fd, target, viaFusermount: false);
    }

    private static unsafe KernelMount MountWithFusermount(string target, string source, FuseMountOptions options)
    {
        string fusermount = FindFusermount() ?? throw new MountException(
            "fusermount3 is not installed; install it with: sudo apt-get install fuse3");
        int* pair = stackalloc int[2];
        if (LinuxNative.SocketPair(LinuxNative.AfUnix, LinuxNative.SockStream, 0, pair) != 0)
        {
            throw new MountException($"socketpair failed: {LinuxNative.Describe(LinuxNative.LastError)}");
        }
        try
        {
            string opts = $"fsname={source},subtype=winreflink,default_permissions{(options.AllowOther ? ",allow_other" : "")}{(options.ReadOnly ? ",ro" : ",rw")},nosuid,nodev";
            var psi = new ProcessStartInfo(fusermount) { RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(opts);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(target);
            psi.Environment["_FUSE_COMMFD"] = pair[0].ToString(CultureInfo.InvariantCulture);
            using var process = Process.Start(psi) ?? throw new MountException("cannot start fusermount3");
            Libc.Close(pair[0]);
            pair[0] = -1;
            int fd = ReceiveFd(pair[1]);
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (fd < 0)
            {
                throw new MountException($"fusermount3 could not mount {target}: {stderr.Trim()}");
            }
            return new KernelMount(fd, target, viaFusermount: true);
        }
        finally
        {
            if (pair[0] >= 0)
            {
                Libc.Close(pair[0]);
            }
            Libc.Close(pair[1]);
        }
    }

    private static unsafe int ReceiveFd(int socket)
    {
        byte data = 0;
        var iov = new LinuxNative.IoVec { Base = &data, Length = 1 };
        const int controlSize = 64;
        byte* control = stackalloc byte[controlSize];
        var msg = new LinuxNative.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = controlSize };
        nint n;
        do
        {
            n = LinuxNative.RecvMsg(socket, &msg, 0);
        }
        while (n < 0 && LinuxNative.LastError == LinuxNative.EIntr);
        if (n <= 0 || msg.ControlLen < (nuint)sizeof(LinuxNative.CMsgHdr))
        {
            return -1;
        }
        var header = (LinuxNative.CMsgHdr*)control;
        if (header->Level != LinuxNative.SolSocket || header->Type != LinuxNative.ScmRights)
        {
            return -1;
        }
        return *(int*)(control + sizeof(LinuxNative.CMsgHdr));
    }

    private static string? FindFusermount()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Append("/usr/bin").Append("/bin"))
        {
            string candidate = Path.Combine(dir, "fusermount3");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// Detaches the mount (umount2 as root, fusermount3 -u as a user). A busy mount is refused with a
    /// clear message unless <paramref name="lazy"/>, which detaches now and finishes when the last user leaves.
    /// </summary>
    public static void Unmount(string mountPoint, bool lazy)
    {
        string full = Path.GetFullPath(mountPoint).TrimEnd('/');
        string? type = Mountpoint.FindMount(full);
        if (type == null)
        {
            throw new MountException($"{full} is not mounted");
        }
        if (type != "fuse.winreflink")
        {
            throw new MountException($"{full} is a {type} mount, not a WinReflink volume");
        }
        if (Libc.GetEffectiveUid() == 0)
        {
            if (LinuxNative.Umount2(full, lazy ? LinuxNative.MntDetach : 0) != 0)
            {
                int err = LinuxNative.LastError;
                throw err == LinuxNative.EBusy
                    ? new MountException($"{full} is busy: files are open on it or a process is inside it (see: fuser -vm {full}); close them, or unmount with --lazy")
                    : new MountException($"unmount of {full} failed: {LinuxNative.Describe(err)}");
            }
            return;
        }
        string fusermount = FindFusermount() ?? throw new MountException("fusermount3 is not installed; install it with: sudo apt-get install fuse3");
        var psi = new ProcessStartInfo(fusermount) { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(lazy ? "-uz" : "-u");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(full);
        using var p = Process.Start(psi) ?? throw new MountException("cannot start fusermount3");
        string err2 = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw err2.Contains("busy", StringComparison.OrdinalIgnoreCase)
                ? new MountException($"{full} is busy: files are open on it or a process is inside it; close them, or unmount with --lazy")
                : new MountException($"unmount of {full} failed: {err2.Trim()}");
        }
    }
}
