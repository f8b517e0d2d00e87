using System.Runtime.InteropServices;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Adapter;

internal sealed unsafe partial class WinFspAdapter
{
    /// <summary>
    /// The 64-slot FSP_FILE_SYSTEM_INTERFACE in zeroed native memory (winfsp.md 1.5, 2.7): the DLL keeps
    /// the pointer, so it must stay put for the life of the file system; <see cref="FreeInterfaceTable"/>
    /// after FspFileSystemDelete. Slots left NULL: Create, Overwrite, CanDelete (their Ex forms and
    /// SetDelete win, 3.2), reparse points, streams, EAs, Obsolete0 and the reserved ones.
    /// </summary>
    public static nint AllocateInterfaceTable()
    {
        var table = (nint*)NativeMemory.AllocZeroed((nuint)(InterfaceTable.SlotCount * sizeof(nint)));
        table[(int)InterfaceSlot.GetVolumeInfo] = (nint)(delegate* unmanaged[Cdecl]<nint, VolumeInfo*, int>)&OnGetVolumeInfo;
        table[(int)InterfaceSlot.SetVolumeLabel] = (nint)(delegate* unmanaged[Cdecl]<nint, char*, VolumeInfo*, int>)&OnSetVolumeLabel;
        table[(int)InterfaceSlot.GetSecurityByName] = (nint)(delegate* unmanaged[Cdecl]<nint, char*, uint*, byte*, nuint*, int>)&OnGetSecurityByName;
        table[(int)InterfaceSlot.Open] = (nint)(delegate* unmanaged[Cdecl]<nint, char*, uint, uint, nint*, OpenFileInfo*, int>)&OnOpen;
        table[(int)InterfaceSlot.Cleanup] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, char*, uint, void>)&OnCleanup;
        table[(int)InterfaceSlot.Close] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, void>)&OnClose;
        table[(int)InterfaceSlot.Read] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, byte*, ulong, uint, uint*, int>)&OnRead;
        table[(int)InterfaceSlot.Write] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, byte*, ulong, uint, byte, byte, uint*, FileInfo*, int>)&OnWrite;
        table[(int)InterfaceSlot.Flush] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, FileInfo*, int>)&OnFlush;
        table[(int)InterfaceSlot.GetFileInfo] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, FileInfo*, int>)&OnGetFileInfo;
        table[(int)InterfaceSlot.SetBasicInfo] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, uint, ulong, ulong, ulong, ulong, FileInfo*, int>)&OnSetBasicInfo;
        table[(int)InterfaceSlot.SetFileSize] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, ulong, byte, FileInfo*, int>)&OnSetFileSize;
        table[(int)InterfaceSlot.Rename] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, char*, char*, byte, int>)&OnRename;
        table[(int)InterfaceSlot.GetSecurity] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, byte*, nuint*, int>)&OnGetSecurity;
        table[(int)InterfaceSlot.SetSecurity] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, uint, nint, int>)&OnSetSecurity;
        table[(int)InterfaceSlot.ReadDirectory] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, char*, char*, void*, uint, uint*, int>)&OnReadDirectory;
        table[(int)InterfaceSlot.GetDirInfoByName] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, char*, DirInfo*, int>)&OnGetDirInfoByName;
        table[(int)InterfaceSlot.Control] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, uint, byte*, uint, byte*, uint, uint*, int>)&OnControl;
        table[(int)InterfaceSlot.SetDelete] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, char*, byte, int>)&OnSetDelete;
        table[(int)InterfaceSlot.CreateEx] = (nint)(delegate* unmanaged[Cdecl]<nint, char*, uint, uint, uint, nint, ulong, void*, uint, byte, nint*, OpenFileInfo*, int>)&OnCreateEx;
        table[(int)InterfaceSlot.OverwriteEx] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, uint, byte, ulong, void*, uint, FileInfo*, int>)&OnOverwriteEx;
        table[(int)InterfaceSlot.DispatcherStopped] = (nint)(delegate* unmanaged[Cdecl]<nint, byte, void>)&OnDispatcherStopped;
        return (nint)table;
    }

    public static void FreeInterfaceTable(nint table) => NativeMemory.Free((void*)table);
}
