using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32;

namespace WinReflink.WinFsp.Interop;

/// <summary>
/// Finds and loads the WinFsp DLL as FspLoad does (winfsp.md 1.1): by name on the normal search path,
/// then from InstallDir in the 32-bit registry view + bin\; then checks FspVersion (8.1: major ≥ 2,
/// which DispatcherStopped needs).
/// </summary>
internal static unsafe class WinFspLibrary
{
    public const int MinimumMajorVersion = 2;
    public const string RegistryKeyPath = @"SOFTWARE\WinFsp";
    public const string DownloadUrl = "https://winfsp.dev/rel/";

    /// <summary>winfsp-x64.dll, winfsp-a64.dll or winfsp-x86.dll for this process (1.1).</summary>
    public static string DllName => DllNameFor(RuntimeInformation.ProcessArchitecture);

    public static string DllNameFor(Architecture architecture) => architecture switch
    {
        Architecture.Arm64 => "winfsp-a64.dll",
        Architecture.X64 => "winfsp-x64.dll",
        Architecture.X86 => "winfsp-x86.dll",
        _ => throw new WinFspLoadException($"WinFsp has no DLL for the {architecture} architecture"),
    };

    /// <summary>Loads the installed DLL; throws <see cref="WinFspLoadException"/> with one line naming what is wrong.</summary>
    [SupportedOSPlatform("windows")]
    public static WinFspApi Load()
    {
        string name = DllName;
        if (!NativeLibrary.TryLoad(name, typeof(WinFspLibrary).Assembly, null, out nint handle))
        {
            string? installDir = ReadInstallDir();
            if (installDir == null)
            {
                throw new WinFspLoadException(NotInstalledMessage(name));
            }
            string path = Path.Combine(installDir, "bin", name);
            if (!NativeLibrary.TryLoad(path, out handle))
            {
                throw new WinFspLoadException($"WinFsp is not installed correctly ({path} could not be loaded; HKLM\\{RegistryKeyPath} InstallDir is {installDir}); reinstall it from {DownloadUrl}");
            }
        }
        return BindAndCheck(handle, name);
    }

    /// <summary>Test seam: loads the library at an explicit path (the Linux harness passes the stand-in .so).</summary>
    public static WinFspApi LoadFrom(string path)
    {
        if (!NativeLibrary.TryLoad(path, out nint handle))
        {
            throw new WinFspLoadException($"the WinFsp library {path} could not be loaded");
        }
        return BindAndCheck(handle, path);
    }

    public static string NotInstalledMessage(string dllName) =>
        $"WinFsp is not installed ({dllName} was not found, and HKLM\\{RegistryKeyPath} InstallDir is not set); install it from {DownloadUrl}";

    /// <summary>Refuses a DLL older than WinFsp 2 (FspVersion returns major &lt;&lt; 16 | minor).</summary>
    public static void CheckVersion(uint version, string what)
    {
        uint major = version >> 16;
        if (major < MinimumMajorVersion)
        {
            throw new WinFspLoadException($"{what} is WinFsp {major}.{version & 0xFFFF}; WinReflink needs WinFsp {MinimumMajorVersion}.0 or later from {DownloadUrl}");
        }
    }

    private static WinFspApi BindAndCheck(nint handle, string what)
    {
        var api = WinFspApi.Bind(name => NativeLibrary.TryGetExport(handle, name, out nint p) ? p : 0);
        uint version = 0;
        int status = api.Version(&version);
        if (status != NtStatus.Success)
        {
            throw new WinFspLoadException($"{what}: FspVersion failed with NTSTATUS 0x{status:X8}");
        }
        CheckVersion(version, what);
        return api;
    }

    [SupportedOSPlatform("windows")]
    private static string? ReadInstallDir()
    {
        // FspLoad reads WOW6432Node on 64-bit Windows: the installer writes the 32-bit view (1.1).
        using var hklm = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry32);
        using var key = hklm.OpenSubKey(RegistryKeyPath);
        return key?.GetValue("InstallDir") as string is { Length: > 0 } dir ? dir : null;
    }
}
