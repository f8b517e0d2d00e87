using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace WinReflink.PowerShell;

/// <summary>
/// Lets the engine's SQLite find its native library: pwsh's own deps.json does not list the module's
/// runtimes/&lt;rid&gt;/native folders, so a library the default probing misses is looked up there.
/// </summary>
public sealed class NativeLibraries : IModuleAssemblyInitializer
{
    public void OnImport() => AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;

    private static nint Resolve(Assembly assembly, string name)
    {
        string moduleDir = Path.GetDirectoryName(typeof(NativeLibraries).Assembly.Location) ?? "";
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string file = OperatingSystem.IsWindows() ? $"{name}.dll" : OperatingSystem.IsMacOS() ? $"lib{name}.dylib" : $"lib{name}.so";
        string candidate = Path.Combine(moduleDir, "runtimes", $"{os}-{arch}", "native", file);
        return File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out nint handle) ? handle : 0;
    }
}
