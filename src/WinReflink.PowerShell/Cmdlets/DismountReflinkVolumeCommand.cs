using System.Management.Automation;
using WinReflink.PowerShell.Volumes;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>Dismount-ReflinkVolume: unmounts by mount point, or the volumes Get-ReflinkVolume writes.</summary>
[Cmdlet(VerbsData.Dismount, "ReflinkVolume", SupportsShouldProcess = true)]
public sealed class DismountReflinkVolumeCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[] MountPoint { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (string p in MountPoint)
        {
            string point = p.Length == 2 && p[1] == ':' ? p : GetUnresolvedProviderPathFromPSPath(p);
            if (!ShouldProcess(point, "Dismount WinReflink volume"))
            {
                continue;
            }
            try
            {
                var (exitCode, _, error) = Cli.Run("unmount", point);
                if (exitCode != 0)
                {
                    WriteError(new ErrorRecord(new IOException($"cannot dismount {point}: {error}"), "DismountFailed", ErrorCategory.ResourceBusy, point));
                }
            }
            catch (IOException e)
            {
                WriteError(new ErrorRecord(e, "DismountFailed", ErrorCategory.ResourceUnavailable, point));
            }
        }
    }
}
