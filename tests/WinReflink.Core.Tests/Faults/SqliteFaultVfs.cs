using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace WinReflink.Core.Tests.Faults;

/// <summary>Which SQLite file call a metadata fault hits (the numbering of sqlite-fault-vfs.c).</summary>
public enum SqliteFaultSite
{
    Write = 0,
    Sync = 1,
    Truncate = 2,
}

/// <summary>
/// The fault-injecting VFS of sqlite-fault-vfs.c, built with gcc and installed as the default VFS of
/// the e_sqlite3 library this process already uses, once per process. From then on every SQLite file
/// goes through it; it counts and fails calls only while armed, and only for files in one folder.
/// </summary>
internal static unsafe class SqliteFaultVfs
{
    /// <summary>The host errors as SQLite's unix VFS reports them (sqlite3.h extended result codes).</summary>
    public const int IoErrWrite = 10 | (3 << 8);
    public const int IoErrFsync = 10 | (4 << 8);
    public const int IoErrTruncate = 10 | (6 << 8);
    public const int Full = 13;

    private static readonly Lazy<Exports> Library = new(Install);

    private sealed class Exports(nint library)
    {
        public readonly delegate* unmanaged<byte*, int, int, int, int, void> Arm = (delegate* unmanaged<byte*, int, int, int, int, void>)NativeLibrary.GetExport(library, "wrl_fault_arm");
        public readonly delegate* unmanaged<void> Disarm = (delegate* unmanaged<void>)NativeLibrary.GetExport(library, "wrl_fault_disarm");
        public readonly delegate* unmanaged<int, int> Count = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "wrl_fault_count");
        public readonly delegate* unmanaged<int> Fired = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "wrl_fault_fired");
    }

    /// <summary>
    /// Builds and installs the VFS. SQLite binds a connection to the default VFS when it opens, so
    /// this must run before the volume under test is opened.
    /// </summary>
    public static void EnsureInstalled() => _ = Library.Value;

    /// <summary>
    /// Counts the calls on files under <paramref name="folder"/> from now on and fails the
    /// <paramref name="at"/>-th at <paramref name="site"/> (0: none), and with <paramref name="persist"/>
    /// every later one too.
    /// </summary>
    public static void Arm(string folder, SqliteFaultSite site, int at, int error, bool persist = false)
    {
        var exports = Library.Value;
        fixed (byte* path = System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(folder) + "/\0"))
        {
            exports.Arm(path, (int)site, at, error, persist ? 1 : 0);
        }
    }

    public static void Disarm() => Library.Value.Disarm();

    /// <summary>Calls counted at <paramref name="site"/> since the last <see cref="Arm"/>.</summary>
    public static int Count(SqliteFaultSite site) => Library.Value.Count((int)site);

    /// <summary>Whether the armed fault was injected.</summary>
    public static bool Fired => Library.Value.Fired() != 0;

    private static Exports Install()
    {
        string library = LoadedSqliteLibrary();
        string shared = Build();
        var handle = NativeLibrary.Load(shared);
        // Loaded: the file is no longer needed, and a later process builds its own.
        File.Delete(shared);
        var install = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(handle, "wrl_fault_install");
        var lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(handle, "wrl_fault_last_error");
        fixed (byte* path = System.Text.Encoding.UTF8.GetBytes(library + "\0"))
        {
            if (install(path) != 0)
            {
                throw new InvalidOperationException($"the fault VFS could not wrap SQLite: {Marshal.PtrToStringUTF8((nint)lastError())}");
            }
        }
        return new Exports(handle);
    }

    /// <summary>The path of the e_sqlite3 library Microsoft.Data.Sqlite loaded (an in-memory database loads it first).</summary>
    private static string LoadedSqliteLibrary()
    {
        using (var db = new SqliteConnection("Data Source=:memory:"))
        {
            db.Open();
        }
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.EndsWith("/libe_sqlite3.so", StringComparison.Ordinal))
            {
                return line[slash..];
            }
        }
        throw new InvalidOperationException("libe_sqlite3.so is not mapped in this process after opening a SQLite database (/proc/self/maps)");
    }

    /// <summary>Compiles sqlite-fault-vfs.c (copied next to the test assembly) into a temporary shared library.</summary>
    private static string Build()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Faults", "sqlite-fault-vfs.c");
        string output = Path.Combine(Path.GetTempPath(), $"wrl-sqlite-fault-vfs-{Environment.ProcessId}-{Guid.NewGuid():N}.so");
        if (!File.Exists("/usr/include/sqlite3.h"))
        {
            throw new InvalidOperationException("the metadata fault tests build a SQLite VFS and need /usr/include/sqlite3.h: install libsqlite3-dev (tools/deps does)");
        }
        Process gcc;
        try
        {
            gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", output, source, "-ldl", "-lpthread"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("the metadata fault tests build a SQLite VFS with gcc, which is not installed: install gcc (tools/deps does)", e);
        }
        using (gcc)
        {
            string errors = gcc.StandardError.ReadToEnd() + gcc.StandardOutput.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc could not build {source}: {errors}");
            }
        }
        return output;
    }
}
