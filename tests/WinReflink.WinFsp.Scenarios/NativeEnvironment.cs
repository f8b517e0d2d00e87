using System.Runtime.InteropServices;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>
/// The process environment as native code reads it: on Linux, Environment.SetEnvironmentVariable
/// changes only .NET's copy, and the stand-in reads its script's path with getenv.
/// </summary>
internal static partial class NativeEnvironment
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    public static void Set(string name, string value) =>
        Assert.That(SetEnv(name, value, 1), Is.Zero, $"setenv {name}");
}
