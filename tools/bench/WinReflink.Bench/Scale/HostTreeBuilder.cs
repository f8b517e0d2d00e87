using System.Globalization;
using System.Text.Json.Nodes;
using WinReflink.Tests.Scale;

namespace WinReflink.Bench.Scale;

/// <summary>
/// Builds the files of <see cref="ScaleTreeShape"/> in a folder of the host filesystem, directly (not
/// through a mount), for the passthrough_ll peer of the scale benchmark. Without the shared and
/// many-extents files: the peer is there for the namespace rows (ls, stat, find), which they do not change.
/// </summary>
internal static class HostTreeBuilder
{
    public static JsonObject Build(string folder, long files)
    {
        var shape = new ScaleTreeShape(files);
        var progress = new BuildProgress("host tree " + folder, files, Console.Error);
        Directory.CreateDirectory(folder);
        var data = new byte[4096];
        string directory = folder;
        for (long i = 0; i < files; i++)
        {
            if (shape.StartsDirectory(i))
            {
                directory = Path.Combine(folder, shape.DirectoryOf(i));
                Directory.CreateDirectory(directory);
            }
            var content = data.AsSpan(0, ScaleTreeShape.FileBytes(i));
            ScaleTreeShape.FillContent(i, content);
            using (var handle = File.OpenHandle(Path.Combine(directory, ScaleTreeShape.FileName(i)), FileMode.CreateNew, FileAccess.Write))
            {
                RandomAccess.Write(handle, content, 0);
            }
            progress.Done(i + 1);
        }
        double seconds = progress.Elapsed.TotalSeconds;
        progress.Note(string.Create(CultureInfo.InvariantCulture, $"{files:N0} files in {seconds:N1} s"));
        return new JsonObject
        {
            ["folder"] = Path.GetFullPath(folder),
            ["files"] = files,
            ["directories"] = shape.Directories,
            ["build_s"] = Math.Round(seconds, 2),
        };
    }
}
