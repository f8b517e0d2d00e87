using WinReflink.Core.Errors;
using WinReflink.WinFsp.Adapter;

namespace WinReflink.WinFsp.Tests.Errors;

/// <summary>Each engine error, case by case, to the NTSTATUS NTFS gives for the same condition.</summary>
public sealed class StatusMappingTests
{
    [TestCase(FsError.Ok, 0x00000000u, Description = "success")]
    [TestCase(FsError.NotFound, 0xC0000034u, Description = "OBJECT_NAME_NOT_FOUND: ERROR_FILE_NOT_FOUND")]
    [TestCase(FsError.Exists, 0xC0000035u, Description = "OBJECT_NAME_COLLISION: CREATE_NEW on an existing name")]
    [TestCase(FsError.NotEmpty, 0xC0000101u, Description = "DIRECTORY_NOT_EMPTY: RemoveDirectory of a non-empty directory")]
    [TestCase(FsError.NotDirectory, 0xC0000103u, Description = "NOT_A_DIRECTORY")]
    [TestCase(FsError.IsDirectory, 0xC00000BAu, Description = "FILE_IS_A_DIRECTORY: DeleteFile on a directory")]
    [TestCase(FsError.NoSpace, 0xC000007Fu, Description = "DISK_FULL: ERROR_DISK_FULL")]
    [TestCase(FsError.NameInvalid, 0xC0000033u, Description = "OBJECT_NAME_INVALID: ERROR_INVALID_NAME")]
    [TestCase(FsError.NameTooLong, 0xC0000033u, Description = "NTFS gives OBJECT_NAME_INVALID for a component over 255")]
    [TestCase(FsError.InvalidArgument, 0xC000000Du, Description = "INVALID_PARAMETER")]
    [TestCase(FsError.FileTooLarge, 0xC000007Fu, Description = "an end of file NTFS cannot hold: DISK_FULL")]
    [TestCase(FsError.PermissionDenied, 0xC0000022u, Description = "ACCESS_DENIED")]
    [TestCase(FsError.CrossDevice, 0xC00000D4u, Description = "NOT_SAME_DEVICE: ERROR_NOT_SAME_DEVICE")]
    [TestCase(FsError.ReadOnly, 0xC00000A2u, Description = "MEDIA_WRITE_PROTECTED: ERROR_WRITE_PROTECT")]
    [TestCase(FsError.Busy, 0xC0000043u, Description = "SHARING_VIOLATION")]
    [TestCase(FsError.NoAttribute, 0xC0000052u, Description = "NO_EAS_ON_FILE")]
    [TestCase(FsError.AttributeTooLarge, 0xC0000050u, Description = "EA_TOO_LARGE")]
    [TestCase(FsError.NotSupported, 0xC0000010u, Description = "INVALID_DEVICE_REQUEST: ERROR_INVALID_FUNCTION")]
    [TestCase(FsError.Io, 0xC00000E9u, Description = "UNEXPECTED_IO_ERROR")]
    [TestCase(FsError.BadHandle, 0xC0000008u, Description = "INVALID_HANDLE")]
    [TestCase(FsError.TooManyLinks, 0xC0000265u, Description = "TOO_MANY_LINKS")]
    [TestCase(FsError.NoData, 0xC0000011u, Description = "END_OF_FILE")]
    [TestCase(FsError.DataDiffers, 0xC000000Du, Description = "INVALID_PARAMETER")]
    [TestCase(FsError.NotSymlink, 0xC0000275u, Description = "NOT_A_REPARSE_POINT")]
    [TestCase(FsError.Corrupt, 0xC0000102u, Description = "FILE_CORRUPT_ERROR")]
    [TestCase(FsError.Interrupted, 0xC0000120u, Description = "CANCELLED: ERROR_OPERATION_ABORTED")]
    public void EngineErrorMapsToTheNtfsStatus(FsError error, uint expected)
    {
        Assert.That(unchecked((uint)error.ToNtStatus()), Is.EqualTo(expected));
    }

    [Test]
    public void EveryEngineErrorHasItsOwnCase()
    {
        // A new FsError must be added to the table (and to the cases above), not fall into the default.
        foreach (var e in Enum.GetValues<FsError>().Where(e => e is not FsError.Io))
        {
            Assert.That(e.ToNtStatus(), Is.Not.EqualTo(unchecked((int)0xC00000E9)), e.ToString());
        }
    }
}
