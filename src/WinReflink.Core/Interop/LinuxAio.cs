using System.Runtime.InteropServices;

namespace WinReflink.Core.Interop;

/// <summary>
/// Linux native AIO (linux/aio_abi.h), reached through <see cref="Libc.Syscall"/>: the structures the
/// kernel reads and writes, laid out as on little-endian x86-64 and arm64 (sizes asserted in the
/// tests), and the system call numbers of those two architectures.
/// </summary>
internal static class LinuxAio
{
    /// <summary>IOCB_CMD_PWRITEV: aio_buf points at an iovec array, aio_nbytes counts its entries.</summary>
    public const ushort CommandPwritev = 8;

    /// <summary>Whether the system call numbers below are known for this process's architecture.</summary>
    public static bool Known => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;
    private static bool X64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;
    /// <summary>x86-64's own table; arm64 uses the generic one.</summary>
    public static long IoSetup => X64 ? 206 : 0;
    public static long IoDestroy => X64 ? 207 : 1;
    public static long IoGetEvents => X64 ? 208 : 4;
    public static long IoSubmit => X64 ? 209 : 2;

    /// <summary>struct iocb (64 bytes; aio_key before aio_rw_flags on little-endian machines).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Iocb
    {
        public ulong Data;
        public uint Key;
        public int RwFlags;
        public ushort Opcode;
        public short RequestPriority;
        public uint FileDescriptor;
        public ulong Buffer;
        public ulong Bytes;
        public long Offset;
        public ulong Reserved2;
        public uint Flags;
        public uint ResultFd;
    }

    /// <summary>struct io_event (32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoEvent
    {
        public ulong Data;
        public ulong Object;
        public long Result;
        public long Result2;
    }

    /// <summary>struct iovec (16 bytes on 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVec
    {
        public void* Base;
        public nuint Length;
    }
}
