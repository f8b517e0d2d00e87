using System.Text;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Namespace;

/// <summary>
/// What a name may be. Names are Unicode; a case-insensitive volume keeps the case given and looks
/// names up by their key (<see cref="CaseFolding"/>).
/// </summary>
public static class NameRules
{
    /// <summary>NAME_MAX on Linux, and the component limit of NTFS (in UTF-16 units).</summary>
    public const int MaxNameLength = 255;

    public static FsError Validate(string name)
    {
        if (name.Length == 0 || name == "." || name == "..")
        {
            return FsError.NameInvalid;
        }
        if (name.Length > MaxNameLength)
        {
            return FsError.NameTooLong;
        }
        foreach (char c in name)
        {
            if (c == '/' || c == '\0')
            {
                return FsError.NameInvalid;
            }
        }
        int utf8;
        try
        {
            utf8 = StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return FsError.NameInvalid;
        }
        return utf8 > MaxNameLength ? FsError.NameTooLong : FsError.Ok;
    }

    /// <summary>The extra rules Win32 names obey (the WinFsp host applies them on Windows).</summary>
    public static FsError ValidateForWindows(string name)
    {
        var e = Validate(name);
        if (e != FsError.Ok)
        {
            return e;
        }
        foreach (char c in name)
        {
            if (c < 0x20 || c is '<' or '>' or ':' or '"' or '\\' or '|' or '?' or '*')
            {
                return FsError.NameInvalid;
            }
        }
        return FsError.Ok;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
