using System.Runtime.InteropServices;

namespace WinReflink.Fuse.Interop;

/// <summary>The libc calls only the FUSE host makes: raw reads and writes on /dev/fuse, mount, and fd passing (the shared ones are the core's Libc).</summary>
internal static unsafe partial class LinuxNative
{
    public const int ORdWr = 2;
    public const int ORdOnly = 0;
    public const int OCloExec = 0x80000;
    public const int ODirectory = 0x10000;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OAppend = 0x400;
    public const int FSetFd = 2;
    public const int FdCloExec = 1;
    public const uint MsNoSuid = 2;
    public const uint MsNoDev = 4;
    public const uint MsRdOnly = 1;
    public const int MntDetach = 2;
    public const int AfUnix = 1;
    public const int SockStream = 1;
    public const int SolSocket = 1;
    public const int ScmRights = 1;

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int ENxio = 6;
    public const int E2Big = 7;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int EExist = 17;
    public const int EXDev = 18;
    public const int ENoDev = 19;
    public const int ENotDir = 20;
    public const int EIsDir = 21;
    public const int EInval = 22;
    public const int EFBig = 27;
    public const int ENoSpc = 28;
    public const int ERoFs = 30;
    public const int EMLink = 31;
    public const int ERange = 34;
    public const int ENameTooLong = 36;
    public const int ENoSys = 38;
    public const int ENotEmpty = 39;
    public const int ENoData = 61;
    public const int EIlSeq = 84;
    public const int EOpNotSupp = 95;
    public const int EBadE = 52;
    public const int ENotTy = 25;
    public const int EUClean = 117;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteV(int fd, IoVec* iov, int count);

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Mount(string source, string target, string fsType, nuint flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Len;
        public int Level;
        public int Type;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
