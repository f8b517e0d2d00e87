using System.Globalization;
using System.Management.Automation;
using WinReflink.Client;
using WinReflink.PowerShell.Objects;
using WinReflink.PowerShell.Volumes;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>
/// Mount-ReflinkVolume: runs `winreflink mount --background` (the same on Linux and Windows), which returns once
/// the detached mount serves the volume, checks that it answers, and writes the mounted volume.
/// </summary>
[Cmdlet(VerbsData.Mount, "ReflinkVolume", SupportsShouldProcess = true)]
[OutputType(typeof(ReflinkVolume))]
public sealed class MountReflinkVolumeCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VolumePath")]
    public string Path { get; set; } = "";

    /// <summary>Linux: an existing empty directory. Windows: a drive letter such as R:, or a directory that does not exist yet.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string MountPoint { get; set; } = "";

    /// <summary>The ExtentCache's size in bytes (default: a quarter of the memory).</summary>
    [Parameter]
    public long CacheSize { get; set; }

    /// <summary>The metadata cache's budget in bytes: inodes, directory entries and extent maps read from meta.db (default 64 MiB).</summary>
    [Parameter]
    public long MetadataCacheSize { get; set; }

    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    [Parameter]
    public SwitchParameter KernelCache { get; set; }

    protected override void ProcessRecord()
    {
        string volume = GetUnresolvedProviderPathFromPSPath(Path);
        if (MountPoint == "*")
        {
            // The letter WinFsp would pick is known only inside the mount, and the cmdlet must return the volume mounted there.
            WriteError(new ErrorRecord(new ArgumentException("-MountPoint * is not supported here: name a drive letter such as R: or a directory"),
                "MountPointRequired", ErrorCategory.InvalidArgument, MountPoint));
            return;
        }
        string point = MountPoint.Length == 2 && MountPoint[1] == ':' ? MountPoint : GetUnresolvedProviderPathFromPSPath(MountPoint);
        if (!ShouldProcess($"{volume} at {point}", "Mount WinReflink volume"))
        {
            return;
        }
        var arguments = new List<string> { "mount", volume, point, "--background" };
        if (CacheSize > 0)
        {
            arguments.AddRange(["--cache-size", CacheSize.ToString(CultureInfo.InvariantCulture)]);
        }
        if (MetadataCacheSize > 0)
        {
            arguments.AddRange(["--metadata-cache", MetadataCacheSize.ToString(CultureInfo.InvariantCulture)]);
        }
        if (ReadOnly)
        {
            arguments.Add("--read-only");
        }
        if (KernelCache)
        {
            arguments.Add("--kernel-cache");
        }
        try
        {
            var (exitCode, _, error) = Cli.Run([.. arguments]);
            string? reason = exitCode == 0 && MountClient.IsOnMount(point) ? null
                : error.Length > 0 ? error : $"winreflink mount exited with {exitCode} and the mount does not answer";
            if (reason != null)
            {
                WriteError(new ErrorRecord(new IOException($"cannot mount {volume} at {point}: {reason}"), "MountFailed", ErrorCategory.OpenError, volume));
                return;
            }
            WriteObject(MountedVolumes.Read(point));
        }
        catch (IOException e)
        {
            WriteError(new ErrorRecord(e, "MountFailed", ErrorCategory.OpenError, volume));
        }
    }
}
