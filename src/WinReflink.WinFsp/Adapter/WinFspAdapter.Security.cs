using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

/// <summary>GetSecurityByName, GetSecurity and SetSecurity (winfsp.md 3.3).</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnGetSecurityByName(nint fs, char* fileName, uint* fileAttributes, byte* securityDescriptor, nuint* securityDescriptorSize)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.GetSecurityByName(Text(fileName), fileAttributes, securityDescriptor, securityDescriptorSize);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "GetSecurityByName");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnGetSecurity(nint fs, nint fileContext, byte* securityDescriptor, nuint* securityDescriptorSize)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            if (!a.TryHandle(fileContext, out var handle))
            {
                return NtStatus.InvalidHandle;
            }
            return a.CopySecurity(handle.Ino, securityDescriptor, securityDescriptorSize);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "GetSecurity");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSetSecurity(nint fs, nint fileContext, uint securityInformation, nint modificationDescriptor)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.SetSecurity(fileContext, securityInformation, modificationDescriptor);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "SetSecurity");
        }
    }

    /// <summary>
    /// Attributes and descriptor of any path, the root and every directory included (the DLL asks for
    /// each prefix and for parents). Each out-argument may be NULL.
    /// </summary>
    private int GetSecurityByName(string? path, uint* fileAttributes, byte* securityDescriptor, nuint* securityDescriptorSize)
    {
        if (path == null)
        {
            return NtStatus.ObjectNameInvalid;
        }
        int status = Resolve(path, out var a, out _);
        if (status != NtStatus.Success)
        {
            return status;
        }
        if (fileAttributes != null)
        {
            Interop.FileInfo info;
            Fill(a, &info);
            *fileAttributes = info.FileAttributes;
        }
        return securityDescriptorSize == null ? NtStatus.Success : CopySecurity(a.Ino, securityDescriptor, securityDescriptorSize);
    }

    /// <summary>
    /// The buffer protocol: the DLL offers a buffer (1024 bytes first); a larger descriptor answers
    /// STATUS_BUFFER_OVERFLOW with the size it needs, and the DLL asks again (3.3).
    /// </summary>
    private int CopySecurity(long ino, byte* buffer, nuint* size)
    {
        var e = _fs.GetSecurity(ino, out byte[]? stored);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        byte[] sd = stored is { Length: > 0 } ? stored : SecurityDescriptors.Default;
        if ((nuint)sd.Length > *size)
        {
            *size = (nuint)sd.Length;
            return NtStatus.BufferOverflow;
        }
        *size = (nuint)sd.Length;
        if (buffer != null)
        {
            sd.CopyTo(new Span<byte>(buffer, sd.Length));
        }
        return NtStatus.Success;
    }

    /// <summary>Applies the modification with FspSetSecurityDescriptor and stores the result, which FspDeleteSecurityDescriptor frees (3.3).</summary>
    private int SetSecurity(nint context, uint securityInformation, nint modification)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        var e = _fs.GetSecurity(handle.Ino, out byte[]? stored);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        byte[] current = stored is { Length: > 0 } ? stored : SecurityDescriptors.Default;
        nint result = 0;
        int status;
        fixed (byte* input = current)
        {
            status = _api.SetSecurityDescriptor((nint)input, securityInformation, modification, &result);
        }
        if (status != NtStatus.Success)
        {
            return status;
        }
        try
        {
            byte[]? updated = SecurityDescriptors.Copy(result);
            if (updated == null)
            {
                return NtStatus.InvalidSecurityDescr;
            }
            return _fs.SetSecurity(handle.Ino, updated).ToNtStatus();
        }
        finally
        {
            _api.DeleteSecurityDescriptor(result, (nint)_api.SetSecurityDescriptor);
        }
    }
}
