using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace WinReflink.Cli.Interop;

/// <summary>The Win32 calls that keep this process's standard handles out of the processes it starts, one declaration each.</summary>
[SupportedOSPlatform("windows")]
internal static partial class ConsoleHandles
{
    private const int StdInput = -10;
    private const int StdOutput = -11;
    private const int StdError = -12;
    private const uint HandleFlagInherit = 0x1;

    /// <summary>
    /// Makes stdin, stdout and stderr non-inheritable. Process.Start lets a child inherit every inheritable
    /// handle; a background mount holding the caller's pipe would keep whoever reads this command's output
    /// to its end (PowerShell's Mount-ReflinkVolume, a test) waiting until the unmount.
    /// </summary>
    public static void StopInheritance()
    {
        foreach (int which in new[] { StdInput, StdOutput, StdError })
        {
            nint handle = GetStdHandle(which);
            if (handle != 0 && handle != -1)
            {
                // A console handle, or one that cannot change, is not inherited through this path anyway.
                _ = SetHandleInformation(handle, HandleFlagInherit, 0);
            }
        }
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial nint GetStdHandle(int standardHandle);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetHandleInformation(nint handle, uint mask, uint flags);
}
