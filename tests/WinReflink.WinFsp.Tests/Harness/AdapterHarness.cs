using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using WinReflink.Core;
using WinReflink.WinFsp.Adapter;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;
using VolumeInfo = WinReflink.WinFsp.Interop.VolumeInfo;

namespace WinReflink.WinFsp.Tests.Harness;

/// <summary>NT create dispositions (CreateOptions &gt;&gt; 24).</summary>
internal enum Disposition : uint
{
    Supersede = 0,
    Open = 1,
    Create = 2,
    OpenIf = 3,
    Overwrite = 4,
    OverwriteIf = 5,
}

/// <summary>
/// Drives the adapter the way the WinFsp DLL does: a real volume, the real interface table, a zeroed
/// block standing for the DLL's FSP_FILE_SYSTEM with the adapter's GCHandle at offset 8, and every call
/// made through the table's function pointers with native buffers.
/// </summary>
internal sealed unsafe class AdapterHarness : IDisposable
{
    public const uint ReadAccess = AccessMask.ReadData;
    public const uint WriteAccess = AccessMask.ReadData | AccessMask.WriteData;
    public const uint DirectoryFile = CreateOptions.DirectoryFile;
    public const uint NonDirectoryFile = CreateOptions.NonDirectoryFile;

    private readonly GCHandle _self;
    private readonly nint _table;

    public AdapterHarness(bool caseSensitive = false, long sizeBytes = 256L << 20)
    {
        Folder = Path.Combine(Path.GetTempPath(), "wrl-winfsp-" + Guid.NewGuid().ToString("N"));
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = sizeBytes, CaseSensitive = caseSensitive, Label = "Test" });
        Fs = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero, CacheSizeBytes = 64L << 20 });
        Adapter = new WinFspAdapter(Fs, FakeWinFspExports.Api(), new WinFspMountOptions(), NullLogger.Instance);
        _table = WinFspAdapter.AllocateInterfaceTable();
        NativeFileSystem = (nint)NativeMemory.AllocZeroed(FileSystemLayout.Size64);
        _self = GCHandle.Alloc(Adapter);
        *(nint*)(NativeFileSystem + FileSystemLayout.UserContextOffset) = GCHandle.ToIntPtr(_self);
        Adapter.NativeFileSystem = NativeFileSystem;
    }

    public string Folder { get; }
    public FileSystem Fs { get; }
    public WinFspAdapter Adapter { get; }
    public nint NativeFileSystem { get; }

    public nint Slot(InterfaceSlot slot) => ((nint*)_table)[(int)slot];

    public void Dispose()
    {
        _self.Free();
        NativeMemory.Free((void*)NativeFileSystem);
        WinFspAdapter.FreeInterfaceTable(_table);
        Fs.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    // ---- the raw callbacks ----

    public int CreateEx(string path, uint createOptions, uint access, uint attributes, out nint context, out FileInfo info, out string? normalized,
        ulong allocationSize = 0, byte[]? securityDescriptor = null)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, uint, nint, ulong, void*, uint, byte, nint*, OpenFileInfo*, int>)Slot(InterfaceSlot.CreateEx);
        char* name = stackalloc char[2048];
        var open = new OpenFileInfo { NormalizedName = name, NormalizedNameSize = 4096 };
        nint ctx = 0;
        int status;
        fixed (char* p = path)
        fixed (byte* sd = securityDescriptor)
        {
            status = f(NativeFileSystem, p, createOptions, access, attributes, (nint)sd, allocationSize, null, 0, 0, &ctx, &open);
        }
        context = ctx;
        info = open.FileInfo;
        normalized = open.NormalizedNameSize == 4096 ? null : new string(name, 0, open.NormalizedNameSize / 2);
        return status;
    }

    public int Open(string path, uint createOptions, uint access, out nint context, out FileInfo info, out string? normalized)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, char*, uint, uint, nint*, OpenFileInfo*, int>)Slot(InterfaceSlot.Open);
        char* name = stackalloc char[2048];
        var open = new OpenFileInfo { NormalizedName = name, NormalizedNameSize = 4096 };
        nint ctx = 0;
        int status;
        fixed (char* p = path)
        {
            status = f(NativeFileSystem, p, createOptions, access, &ctx, &open);
        }
        context = ctx;
        info = open.FileInfo;
        normalized = open.NormalizedNameSize == 4096 ? null : new string(name, 0, open.NormalizedNameSize / 2);
        return status;
    }

    public int Overwrite(nint context, uint attributes, bool replace, ulong allocationSize, out FileInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, uint, byte, ulong, void*, uint, FileInfo*, int>)Slot(InterfaceSlot.OverwriteEx);
        FileInfo fi;
        int status = f(NativeFileSystem, context, attributes, replace ? (byte)1 : (byte)0, allocationSize, null, 0, &fi);
        info = fi;
        return status;
    }

    public void Cleanup(nint context, string? fileName, CleanupFlags flags)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, char*, uint, void>)Slot(InterfaceSlot.Cleanup);
        fixed (char* p = fileName)
        {
            f(NativeFileSystem, context, p, (uint)flags);
        }
    }

    public void Close(nint context)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, void>)Slot(InterfaceSlot.Close);
        f(NativeFileSystem, context);
    }

    public int Read(nint context, byte[] buffer, ulong offset, out uint transferred)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, byte*, ulong, uint, uint*, int>)Slot(InterfaceSlot.Read);
        uint n = 0;
        int status;
        fixed (byte* b = buffer)
        {
            status = f(NativeFileSystem, context, b, offset, (uint)buffer.Length, &n);
        }
        transferred = n;
        return status;
    }

    public int Write(nint context, byte[] data, ulong offset, out uint transferred, out FileInfo info, bool writeToEndOfFile = false, bool constrainedIo = false)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, byte*, ulong, uint, byte, byte, uint*, FileInfo*, int>)Slot(InterfaceSlot.Write);
        uint n = 0;
        FileInfo fi = default;
        int status;
        fixed (byte* b = data)
        {
            status = f(NativeFileSystem, context, b, writeToEndOfFile ? ulong.MaxValue : offset, (uint)data.Length,
                writeToEndOfFile ? (byte)1 : (byte)0, constrainedIo ? (byte)1 : (byte)0, &n, &fi);
        }
        transferred = n;
        info = fi;
        return status;
    }

    public int Flush(nint context, out FileInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, FileInfo*, int>)Slot(InterfaceSlot.Flush);
        FileInfo fi;
        int status = f(NativeFileSystem, context, &fi);
        info = fi;
        return status;
    }

    public int GetFileInfo(nint context, out FileInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, FileInfo*, int>)Slot(InterfaceSlot.GetFileInfo);
        FileInfo fi;
        int status = f(NativeFileSystem, context, &fi);
        info = fi;
        return status;
    }

    public int SetBasicInfo(nint context, uint attributes, ulong creation, ulong access, ulong write, ulong change, out FileInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, uint, ulong, ulong, ulong, ulong, FileInfo*, int>)Slot(InterfaceSlot.SetBasicInfo);
        FileInfo fi;
        int status = f(NativeFileSystem, context, attributes, creation, access, write, change, &fi);
        info = fi;
        return status;
    }

    public int SetFileSize(nint context, ulong size, bool allocation, out FileInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, ulong, byte, FileInfo*, int>)Slot(InterfaceSlot.SetFileSize);
        FileInfo fi;
        int status = f(NativeFileSystem, context, size, allocation ? (byte)1 : (byte)0, &fi);
        info = fi;
        return status;
    }

    public int SetDelete(nint context, string fileName, bool delete)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, char*, byte, int>)Slot(InterfaceSlot.SetDelete);
        fixed (char* p = fileName)
        {
            return f(NativeFileSystem, context, p, delete ? (byte)1 : (byte)0);
        }
    }

    public int Rename(nint context, string fileName, string newFileName, bool replace)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, char*, char*, byte, int>)Slot(InterfaceSlot.Rename);
        fixed (char* p = fileName)
        fixed (char* q = newFileName)
        {
            return f(NativeFileSystem, context, p, q, replace ? (byte)1 : (byte)0);
        }
    }

    public int GetSecurityByName(string path, out uint attributes, byte[]? buffer, ref nuint size, bool passSize = true)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, char*, uint*, byte*, nuint*, int>)Slot(InterfaceSlot.GetSecurityByName);
        uint a = 0;
        nuint s = size;
        int status;
        fixed (char* p = path)
        fixed (byte* b = buffer)
        {
            status = f(NativeFileSystem, p, &a, b, passSize ? &s : null);
        }
        attributes = a;
        size = s;
        return status;
    }

    public int GetSecurity(nint context, byte[] buffer, out nuint size)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, byte*, nuint*, int>)Slot(InterfaceSlot.GetSecurity);
        nuint s = (nuint)buffer.Length;
        int status;
        fixed (byte* b = buffer)
        {
            status = f(NativeFileSystem, context, b, &s);
        }
        size = s;
        return status;
    }

    public int SetSecurity(nint context, uint securityInformation, byte[] modification)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, uint, nint, int>)Slot(InterfaceSlot.SetSecurity);
        fixed (byte* m = modification)
        {
            return f(NativeFileSystem, context, securityInformation, (nint)m);
        }
    }

    public int ReadDirectory(nint context, string? marker, uint bufferLength, out DirPage page)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, char*, char*, void*, uint, uint*, int>)Slot(InterfaceSlot.ReadDirectory);
        byte* buffer = (byte*)NativeMemory.AllocZeroed(bufferLength);
        try
        {
            uint n = 0;
            int status;
            fixed (char* m = marker)
            {
                status = f(NativeFileSystem, context, null, m, buffer, bufferLength, &n);
            }
            page = Parse(buffer, n);
            return status;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    private static DirPage Parse(byte* buffer, uint length)
    {
        var entries = new List<DirEntry>();
        uint at = 0;
        bool ended = false;
        while (at + 2 <= length)
        {
            var info = (DirInfo*)(buffer + at);
            if (info->Size == 0)
            {
                ended = true;
                break;
            }
            int chars = (info->Size - DirInfo.HeaderSize) / 2;
            entries.Add(new DirEntry(new string((char*)(buffer + at + DirInfo.HeaderSize), 0, chars), info->FileInfo));
            at += (uint)((info->Size + 7) & ~7);
        }
        return new DirPage(entries, ended, length);
    }

    public int GetDirInfoByName(nint parent, string name, out DirEntry entry)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, char*, DirInfo*, int>)Slot(InterfaceSlot.GetDirInfoByName);
        byte* record = stackalloc byte[DirInfo.HeaderSize + 1024];
        int status;
        fixed (char* p = name)
        {
            status = f(NativeFileSystem, parent, p, (DirInfo*)record);
        }
        var info = (DirInfo*)record;
        entry = status == 0 ? new DirEntry(new string((char*)(record + DirInfo.HeaderSize), 0, (info->Size - DirInfo.HeaderSize) / 2), info->FileInfo) : default;
        return status;
    }

    public int Control(nint context, uint code, byte[] input, byte[] output, out uint transferred)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, nint, uint, byte*, uint, byte*, uint, uint*, int>)Slot(InterfaceSlot.Control);
        uint n = 0;
        int status;
        fixed (byte* i = input)
        fixed (byte* o = output)
        {
            status = f(NativeFileSystem, context, code, i, (uint)input.Length, o, (uint)output.Length, &n);
        }
        transferred = n;
        return status;
    }

    public int GetVolumeInfo(out VolumeInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, VolumeInfo*, int>)Slot(InterfaceSlot.GetVolumeInfo);
        VolumeInfo vi;
        int status = f(NativeFileSystem, &vi);
        info = vi;
        return status;
    }

    public int SetVolumeLabel(string label, out VolumeInfo info)
    {
        var f = (delegate* unmanaged[Cdecl]<nint, char*, VolumeInfo*, int>)Slot(InterfaceSlot.SetVolumeLabel);
        VolumeInfo vi;
        int status;
        fixed (char* p = label)
        {
            status = f(NativeFileSystem, p, &vi);
        }
        info = vi;
        return status;
    }

    // ---- Win32-level sequences, dispatched as fsop.c does (winfsp.md 3.2) ----

    /// <summary>NtCreateFile: Open/Create/Overwrite by disposition; an Overwrite that fails closes the context.</summary>
    public int CreateFile(string path, Disposition disposition, uint options, uint access, out nint context, uint attributes = 0)
    {
        uint createOptions = ((uint)disposition << 24) | options;
        context = 0;
        switch (disposition)
        {
            case Disposition.Create:
                return CreateEx(path, createOptions, access, attributes, out context, out _, out _);
            case Disposition.Open:
                return Open(path, createOptions, access, out context, out _, out _);
            case Disposition.OpenIf:
            {
                int s = Open(path, createOptions, access, out context, out _, out _);
                return s == NtStatus.ObjectNameNotFound ? CreateEx(path, createOptions, access, attributes, out context, out _, out _) : s;
            }
            case Disposition.Overwrite:
            case Disposition.OverwriteIf:
            case Disposition.Supersede:
            {
                int s = Open(path, createOptions, access, out context, out _, out _);
                if (s == NtStatus.ObjectNameNotFound && disposition != Disposition.Overwrite)
                {
                    return CreateEx(path, createOptions, access, attributes, out context, out _, out _);
                }
                if (s != NtStatus.Success)
                {
                    return s;
                }
                s = Overwrite(context, attributes, disposition == Disposition.Supersede, 0, out _);
                if (s != NtStatus.Success)
                {
                    Close(context);
                    context = 0;
                }
                return s;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(disposition));
        }
    }

    /// <summary>CloseHandle: Cleanup then Close.</summary>
    public void CloseHandle(nint context, string? deleteName = null)
    {
        Cleanup(context, deleteName, deleteName != null ? CleanupFlags.Delete : CleanupFlags.None);
        Close(context);
    }

    /// <summary>Creates a file holding <paramref name="data"/> and closes it.</summary>
    public void WriteFile(string path, byte[] data)
    {
        Assert.That(CreateFile(path, Disposition.Create, NonDirectoryFile, WriteAccess, out nint h), Is.EqualTo(NtStatus.Success), $"create {path}");
        Assert.That(Write(h, data, 0, out uint n, out _), Is.EqualTo(NtStatus.Success), $"write {path}");
        Assert.That(n, Is.EqualTo((uint)data.Length));
        CloseHandle(h);
    }

    public void MakeDirectory(string path)
    {
        Assert.That(CreateFile(path, Disposition.Create, DirectoryFile, ReadAccess, out nint h), Is.EqualTo(NtStatus.Success), $"mkdir {path}");
        CloseHandle(h);
    }

    /// <summary>Everything in a file, read through a fresh handle.</summary>
    public byte[] ReadAll(string path)
    {
        Assert.That(Open(path, NonDirectoryFile, ReadAccess, out nint h, out var info, out _), Is.EqualTo(NtStatus.Success), $"open {path}");
        var data = new byte[info.FileSize];
        uint done = 0;
        while (done < data.Length)
        {
            var chunk = new byte[Math.Min(65536, data.Length - (int)done)];
            Assert.That(Read(h, chunk, done, out uint n), Is.EqualTo(NtStatus.Success));
            Array.Copy(chunk, 0, data, done, n);
            done += n;
        }
        CloseHandle(h);
        return data;
    }

    /// <summary>Every name of a directory listing, read in pages of <paramref name="bufferLength"/> bytes with markers.</summary>
    public List<string> ListAll(nint directory, uint bufferLength, out int pages)
    {
        var names = new List<string>();
        string? marker = null;
        pages = 0;
        while (true)
        {
            Assert.That(ReadDirectory(directory, marker, bufferLength, out var page), Is.EqualTo(NtStatus.Success));
            pages++;
            names.AddRange(page.Entries.Select(e => e.Name));
            if (page.Ended)
            {
                return names;
            }
            Assert.That(page.Entries, Is.Not.Empty, "a page that does not end the listing must hold an entry");
            marker = page.Entries[^1].Name;
        }
    }
}
