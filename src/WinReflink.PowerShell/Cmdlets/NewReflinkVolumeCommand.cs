using System.Management.Automation;
using WinReflink.Core;
using WinReflink.Core.Volume;
using WinReflink.PowerShell.Objects;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>New-ReflinkVolume: formats a volume folder (the engine directly; nothing is mounted).</summary>
[Cmdlet(VerbsCommon.New, "ReflinkVolume", SupportsShouldProcess = true)]
[OutputType(typeof(ReflinkVolume))]
public sealed class NewReflinkVolumeCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    /// <summary>Capacity in bytes (PowerShell's 64GB and the like); data.img is sparse.</summary>
    [Parameter]
    public long Size { get; set; } = FormatOptions.DefaultSizeBytes;

    [Parameter]
    public int BlockSize { get; set; } = FormatOptions.DefaultBlockSize;

    [Parameter]
    public SwitchParameter CaseSensitive { get; set; }

    [Parameter]
    public string Label { get; set; } = "";

    protected override void ProcessRecord()
    {
        string full = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(full, "Create WinReflink volume"))
        {
            return;
        }
        try
        {
            FileSystem.Format(full, new FormatOptions { SizeBytes = Size, BlockSize = BlockSize, CaseSensitive = CaseSensitive, Label = Label });
            using var fs = FileSystem.Open(full, new OpenOptions { ReadOnly = true });
            var info = fs.Info();
            WriteObject(new ReflinkVolume
            {
                VolumePath = fs.VolumePath,
                Label = info.Label,
                Capacity = info.CapacityBytes,
                Used = info.UsedBytes,
                Free = info.FreeBytes,
                Shared = info.SharedBytes,
                Saved = info.SavedBytes,
                Files = info.Files,
                Directories = info.Directories,
                Extents = info.Extents,
                BlockSize = info.BlockSize,
                CaseSensitive = info.CaseSensitive,
                SerialNumber = info.SerialNumber,
                FormatVersion = info.FormatVersion,
            });
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or InvalidOperationException or VolumeException)
        {
            WriteError(new ErrorRecord(e, "FormatFailed", ErrorCategory.InvalidArgument, full));
        }
    }
}
