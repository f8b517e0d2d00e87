using System.Management.Automation;
using WinReflink.Core;
using WinReflink.Core.Volume;
using WinReflink.PowerShell.Objects;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>Test-ReflinkVolume: the checker's violations on a volume folder that is not mounted.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ReflinkVolume")]
[OutputType(typeof(ReflinkViolation), typeof(bool))]
public sealed class TestReflinkVolumeCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VolumePath")]
    public string Path { get; set; } = "";

    /// <summary>Only whether the volume is clean.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        string full = GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(System.IO.Path.Combine(full, "meta.db")))
        {
            WriteError(new ErrorRecord(new DirectoryNotFoundException($"{full} is not a WinReflink volume folder (no meta.db)"),
                "NotVolumeFolder", ErrorCategory.ObjectNotFound, full));
            return;
        }
        try
        {
            using var fs = FileSystem.Open(full, new OpenOptions { ReadOnly = true });
            var violations = fs.Check();
            if (Quiet)
            {
                WriteObject(violations.Count == 0);
                return;
            }
            foreach (var v in violations)
            {
                WriteObject(new ReflinkViolation
                {
                    VolumePath = fs.VolumePath, Invariant = v.Invariant, What = v.What, Ino = v.Ino, Block = v.Block, Expected = v.Expected, Found = v.Found,
                });
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or VolumeException)
        {
            WriteError(new ErrorRecord(e, "OpenFailed", ErrorCategory.ResourceUnavailable, full));
        }
    }
}
