using System.Diagnostics;
using System.Globalization;
using WinReflink.Core;
using WinReflink.Core.Errors;

// Builds the volume `tools/bench/check/run` times check and check --repair on: FILES files of 100
// bytes spread over 100 directories, every hundredth file also cloned, through the FileSystem API.
if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int files) || files < 1)
{
    Console.Error.WriteLine("usage: CheckBench VOLUME FILES");
    return 2;
}
string volume = args[0];
var watch = Stopwatch.StartNew();
FileSystem.Format(volume, new FormatOptions { SizeBytes = Math.Max(1L << 30, files * 3L * FormatOptions.DefaultBlockSize) });
using (var fs = FileSystem.Open(volume, new OpenOptions { CommitInterval = TimeSpan.Zero }))
{
    var data = new byte[100];
    var directories = new long[100];
    for (int d = 0; d < directories.Length; d++)
    {
        Check(fs.Mkdir(FileSystem.RootIno, "dir" + d.ToString(CultureInfo.InvariantCulture), new CreateRequest(0x41ED, 0, 0), out var dir));
        directories[d] = dir.Ino;
    }
    for (int i = 0; i < files; i++)
    {
        long parent = directories[i % directories.Length];
        string name = "file" + i.ToString(CultureInfo.InvariantCulture);
        Check(fs.Create(parent, name, new CreateRequest(0x81A4, 0, 0), out var file));
        data[0] = (byte)i;
        Check(fs.Write(file.Ino, 0, data, out _));
        if (i % 100 == 0)
        {
            Check(fs.Create(parent, name + ".clone", new CreateRequest(0x81A4, 0, 0), out var clone));
            Check(fs.CloneRange(file.Ino, 0, clone.Ino, 0, long.MaxValue, out _));
        }
        if (i % 20_000 == 19_999)
        {
            Check(fs.Sync());
        }
    }
    Check(fs.Sync());
}
Console.Error.WriteLine($"built {volume}: {files} files in {watch.Elapsed.TotalSeconds:0.0} s");
return 0;

static void Check(FsError e)
{
    if (e != FsError.Ok)
    {
        throw new InvalidOperationException($"engine call failed: {e}");
    }
}
