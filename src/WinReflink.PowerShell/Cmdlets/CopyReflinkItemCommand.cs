using System.Management.Automation;
using WinReflink.Client;
using WinReflink.PowerShell.Volumes;

namespace WinReflink.PowerShell.Cmdlets;

/// <summary>
/// Copy-ReflinkItem: copies files and trees on a mounted volume as reflinks (the control channel's clone
/// token protocol, as `winreflink clone`), taking paths as Copy-Item does.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "ReflinkItem", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo), typeof(DirectoryInfo))]
public sealed class CopyReflinkItemCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const int ProgressId = 1;

    private readonly Dictionary<string, string?> _mountOfDirectory = new(StringComparer.Ordinal);
    private readonly List<string> _sources = [];

    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    public string Destination { get; set; } = "";

    /// <summary>Copies directories with everything in them.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Replaces existing files (each still atomically: the clone is renamed over it).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>A directory given without -Recurse is created, empty, at the destination.</summary>
    [Parameter]
    public SwitchParameter Container { get; set; }

    /// <summary>Writes the copies to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Copies plainly what cannot be cloned (another volume, another filesystem) instead of refusing it.</summary>
    [Parameter]
    public SwitchParameter Fallback { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
        {
            foreach (string p in LiteralPath)
            {
                string full = GetUnresolvedProviderPathFromPSPath(p);
                if (File.Exists(full) || Directory.Exists(full))
                {
                    _sources.Add(full);
                }
                else
                {
                    WriteError(new ErrorRecord(new ItemNotFoundException($"Cannot find path '{full}' because it does not exist."), "PathNotFound", ErrorCategory.ObjectNotFound, full));
                }
            }
            return;
        }
        foreach (string p in Path)
        {
            try
            {
                _sources.AddRange(GetResolvedProviderPathFromPSPath(p, out _));
            }
            catch (ItemNotFoundException e)
            {
                WriteError(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, p));
            }
        }
    }

    /// <summary>Copies once every source is known: whether the destination names a folder depends on how many there are.</summary>
    protected override void EndProcessing()
    {
        string destination = GetUnresolvedProviderPathFromPSPath(Destination);
        bool intoFolder = Directory.Exists(destination) || _sources.Count > 1;
        if (_sources.Count > 1 && !Directory.Exists(destination))
        {
            WriteError(new ErrorRecord(new DirectoryNotFoundException($"{destination}: no such directory, and several items are to be copied into it"),
                "DestinationNotFound", ErrorCategory.ObjectNotFound, destination));
            return;
        }
        var plan = new List<(string Source, string Target, bool IsDirectory)>();
        foreach (string source in _sources)
        {
            string target = intoFolder ? System.IO.Path.Combine(destination, System.IO.Path.GetFileName(source.TrimEnd('/', '\\'))) : destination;
            if (!Directory.Exists(source))
            {
                plan.Add((source, target, false));
            }
            else if (Recurse)
            {
                AddTree(source, target, plan);
            }
            else if (Container)
            {
                plan.Add((source, target, true));
            }
            else
            {
                WriteError(new ErrorRecord(new IOException($"{source} is a directory; -Recurse copies it with its contents, -Container creates it empty"),
                    "SourceIsDirectory", ErrorCategory.InvalidArgument, source));
            }
        }
        int files = plan.Count(p => !p.IsDirectory);
        int done = 0;
        foreach (var (source, target, isDirectory) in plan)
        {
            if (isDirectory)
            {
                CreateDirectory(target);
                continue;
            }
            if (files > 1)
            {
                WriteProgress(new ProgressRecord(ProgressId, "Copy-ReflinkItem", $"{done} of {files} files")
                {
                    CurrentOperation = source,
                    PercentComplete = done * 100 / files,
                });
            }
            CopyFile(source, target);
            done++;
        }
        if (files > 1)
        {
            WriteProgress(new ProgressRecord(ProgressId, "Copy-ReflinkItem", $"{files} files") { RecordType = ProgressRecordType.Completed });
        }
    }

    private static void AddTree(string source, string target, List<(string, string, bool)> plan)
    {
        plan.Add((source, target, true));
        foreach (string dir in Directory.EnumerateDirectories(source))
        {
            AddTree(dir, System.IO.Path.Combine(target, System.IO.Path.GetFileName(dir)), plan);
        }
        foreach (string file in Directory.EnumerateFiles(source))
        {
            plan.Add((file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)), false));
        }
    }

    private void CreateDirectory(string target)
    {
        if (Directory.Exists(target) || !ShouldProcess(target, "Create directory"))
        {
            return;
        }
        try
        {
            var created = Directory.CreateDirectory(target);
            if (PassThru)
            {
                WriteObject(created);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "CreateDirectoryFailed", Category(e), target));
        }
    }

    private void CopyFile(string source, string target)
    {
        if (Directory.Exists(target))
        {
            WriteError(new ErrorRecord(new IOException($"{target} is a directory"), "DestinationIsDirectory", ErrorCategory.ResourceExists, target));
            return;
        }
        if (File.Exists(target) && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"{target} already exists; -Force replaces it"), "DestinationExists", ErrorCategory.ResourceExists, target));
            return;
        }
        string folder = System.IO.Path.GetDirectoryName(target) ?? ".";
        // With -WhatIf the folder a tree would go to is not created, so it is not looked up either.
        bool folderExists = Directory.Exists(folder);
        bool sameVolume = folderExists && MountOfDirectory(System.IO.Path.GetDirectoryName(source) ?? ".") is { } from && MountOfDirectory(folder) == from;
        if (folderExists && !sameVolume && !Fallback)
        {
            WriteError(new ErrorRecord(new IOException($"{target} is not on the same WinReflink volume as {source}, so it cannot be a reflink; -Fallback copies it plainly"),
                "CrossVolume", ErrorCategory.InvalidOperation, source));
            return;
        }
        if (!ShouldProcess($"{source} -> {target}", sameVolume || !folderExists ? "Clone file" : "Copy file (fallback)"))
        {
            return;
        }
        // The copy is made under a temporary name and renamed into place, so a failure leaves nothing half-made.
        string temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(target)}.{Guid.NewGuid():N}.reflink-tmp");
        try
        {
            if (sameVolume)
            {
                MountClient.Clone(source, temporary);
            }
            else
            {
                File.Copy(source, temporary);
            }
            File.Move(temporary, target, overwrite: Force);
            if (PassThru)
            {
                WriteObject(new FileInfo(target));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                WriteWarning($"could not remove {temporary}: {cleanup.Message}");
            }
            WriteError(new ErrorRecord(e, "CopyFailed", Category(e), source));
        }
    }

    /// <summary>The mount a folder is on, when it is on a WinReflink mount at all (one lookup per folder).</summary>
    private string? MountOfDirectory(string directory)
    {
        if (!_mountOfDirectory.TryGetValue(directory, out string? mount))
        {
            mount = MountClient.IsOnMount(directory) ? MountedVolumes.MountOf(directory) : null;
            _mountOfDirectory[directory] = mount;
        }
        return mount;
    }

    private static ErrorCategory Category(Exception e) => e switch
    {
        UnauthorizedAccessException => ErrorCategory.PermissionDenied,
        FileNotFoundException or DirectoryNotFoundException => ErrorCategory.ObjectNotFound,
        _ => ErrorCategory.WriteError,
    };
}
