using System.Reflection;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.WinFsp.Hosting;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// The host's explicit-path test seam (WinFspLibrary.LoadFrom) and its mount (WinFspHost.Mount),
/// both internal to WinReflink.WinFsp, which grants its internals to its own tests only; reached by
/// reflection here rather than by editing the host's project from this branch.
/// </summary>
internal static class HostSeam
{
    public static WinFspHost MountWith(string libraryPath, FileSystem fs, string mountPoint, ILoggerFactory loggers)
    {
        var assembly = typeof(WinFspHost).Assembly;
        var library = assembly.GetType("WinReflink.WinFsp.Interop.WinFspLibrary", throwOnError: true)!;
        var loadFrom = library.GetMethod("LoadFrom", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMethodException("WinFspLibrary.LoadFrom");
        var mount = typeof(WinFspHost).GetMethod("Mount", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMethodException("WinFspHost.Mount");
        try
        {
            object api = loadFrom.Invoke(null, [libraryPath])!;
            return (WinFspHost)mount.Invoke(null, [api, fs, mountPoint, new WinFspMountOptions(), loggers, null])!;
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }
}
