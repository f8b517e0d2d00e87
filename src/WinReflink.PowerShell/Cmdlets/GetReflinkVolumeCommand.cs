using System.Management.Automation;
using WinReflink.Client;
using WinReflink.PowerShell.Volumes;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>Get-ReflinkVolume: the figures of mounted volumes, every one of them with no argument.</summary>
[Cmdlet(VerbsCommon.Get, "ReflinkVolume", DefaultParameterSetName = AllSet)]
[OutputType(typeof(Objects.ReflinkVolume))]
public sealed class GetReflinkVolumeCommand : PSCmdlet
{
    private const string AllSet = "All";
    private const string MountPointSet = "MountPoint";
    private const string PathSet = "Path";

    [Parameter(ParameterSetName = MountPointSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[] MountPoint { get; set; } = [];

    [Parameter(ParameterSetName = PathSet, Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == AllSet)
        {
            foreach (var m in MountClient.Mounted())
            {
                try
                {
                    WriteObject(MountedVolumes.Read(m.MountPoint));
                }
                catch (IOException e)
                {
                    // Listed, then gone or not answering (unmounting, or another user's): the others are still worth writing.
                    WriteWarning($"{m.MountPoint} did not answer: {e.Message}");
                }
            }
            return;
        }
        foreach (string p in ParameterSetName == PathSet ? Path : MountPoint)
        {
            Emit(GetUnresolvedProviderPathFromPSPath(p));
        }
    }

    private void Emit(string fullPath)
    {
        try
        {
            WriteObject(MountedVolumes.Read(fullPath));
        }
        catch (FileNotFoundException e)
        {
            WriteError(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, fullPath));
        }
        catch (IOException e)
        {
            WriteError(new ErrorRecord(e, "NotReflinkVolume", ErrorCategory.InvalidArgument, fullPath));
        }
    }
}
