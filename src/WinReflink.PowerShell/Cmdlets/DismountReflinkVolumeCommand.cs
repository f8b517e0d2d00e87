using System.Management.Automation;
using WinReflink.PowerShell.Volumes;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>
/// Dismount-ReflinkVolume: unmounts by mount point, or the volumes Get-ReflinkVolume writes, and returns once
/// the mount's process has committed and closed the volume, so the folder can be opened again at once.
/// </summary>
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
                var server = VolumeServer.Of(point);
                var (exitCode, _, error) = Cli.Run("unmount", point);
                if (exitCode != 0)
                {
                    WriteError(new ErrorRecord(new IOException($"cannot dismount {point}: {error}"), "DismountFailed", ErrorCategory.ResourceBusy, point));
                }
                else if (server != null && !VolumeServer.WaitForExit(server.Value, TimeSpan.FromSeconds(60)))
                {
                    WriteError(new ErrorRecord(new TimeoutException($"{point} is unmounted, but its server (process {server}) has not closed the volume within 60 s"),
                        "DismountTimedOut", ErrorCategory.OperationTimeout, point));
                }
            }
            catch (IOException e)
            {
                WriteError(new ErrorRecord(e, "DismountFailed", ErrorCategory.ResourceUnavailable, point));
            }
        }
    }
}
