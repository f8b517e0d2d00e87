using System.Management.Automation;
using WinReflink.Client;
using WinReflink.PowerShell.Objects;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>Get-ReflinkExtent: one object per extent of files on a mounted volume.</summary>
[Cmdlet(VerbsCommon.Get, "ReflinkExtent")]
[OutputType(typeof(ReflinkExtent))]
public sealed class GetReflinkExtentCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (string p in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(p);
            if (Directory.Exists(full))
            {
                continue;
            }
            if (!File.Exists(full))
            {
                WriteError(new ErrorRecord(new FileNotFoundException($"{full}: no such file", full), "PathNotFound", ErrorCategory.ObjectNotFound, full));
                continue;
            }
            try
            {
                foreach (var e in MountClient.Extents(full))
                {
                    WriteObject(new ReflinkExtent
                    {
                        Path = full,
                        LogicalOffset = e.LogicalOffset,
                        PhysicalOffset = e.PhysicalOffset,
                        Length = e.Length,
                        ShareCount = e.ShareCount,
                        Unwritten = e.Unwritten,
                    });
                }
            }
            catch (IOException e)
            {
                WriteError(new ErrorRecord(e, "NotReflinkFile", ErrorCategory.InvalidArgument, full));
            }
        }
    }
}
