using System.CommandLine;
using System.Text.Json.Nodes;
using WinReflink.Tests.Scale;

namespace WinReflink.Bench.Scale;

/// <summary>The subcommands tools/bench/scale builds its trees with; each prints one JSON object on stdout, progress on stderr.</summary>
internal static class ScaleCommands
{
    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(BuildVolume());
        root.Subcommands.Add(BuildHostTree());
        root.Subcommands.Add(Sample());
    }

    private static Command BuildVolume()
    {
        var volume = new Option<DirectoryInfo>("--volume") { Description = "The volume folder to format (must not exist)", Required = true };
        var files = FilesOption();
        var shared = new Option<long?>("--shared-extents") { Description = "Shared ranges in the refcount table (default: a tenth of --files)" };
        var many = new Option<long?>("--many-extents") { Description = "Extents of many-extents.dat, the file the clone row clones (default: a tenth of --files)" };
        var command = new Command("scale-build", "Formats a volume and fills it through the FileSystem API with issue 11's tree (tools/bench/scale)")
        {
            volume, files, shared, many,
        };
        command.SetAction(parsed =>
        {
            string folder = parsed.GetValue(volume)!.FullName;
            long n = parsed.GetValue(files);
            long k = parsed.GetValue(shared) ?? n / 10;
            long e = parsed.GetValue(many) ?? n / 10;
            if (n < 1 || k < 0 || e < 0 || k > n)
            {
                Console.Error.WriteLine("scale-build: --files must be positive, --shared-extents and --many-extents at least 0, and --shared-extents at most --files");
                return 2;
            }
            if (Directory.Exists(folder) || File.Exists(folder))
            {
                Console.Error.WriteLine($"scale-build: {folder} exists; the builder formats a new volume");
                return 2;
            }
            Console.Out.WriteLine(Json(ScaleVolumeBuilder.Build(folder, new ScaleTreeShape(n, k), e, Console.Error)).ToJsonString());
            return 0;
        });
        return command;
    }

    private static Command BuildHostTree()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "The folder to make the tree in (must not exist)", Required = true };
        var files = FilesOption();
        var command = new Command("scale-tree", "Makes the same tree of files in a folder of the host filesystem, for the passthrough_ll peer (tools/bench/scale)")
        {
            dir, files,
        };
        command.SetAction(parsed =>
        {
            string folder = parsed.GetValue(dir)!.FullName;
            long n = parsed.GetValue(files);
            if (n < 1 || Directory.Exists(folder))
            {
                Console.Error.WriteLine("scale-tree: --files must be positive and --dir must not exist");
                return 2;
            }
            Console.Out.WriteLine(HostTreeBuilder.Build(folder, n).ToJsonString());
            return 0;
        });
        return command;
    }

    private static Command Sample()
    {
        var files = FilesOption();
        var count = new Option<int>("--count") { Description = "Paths to print", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the choice", DefaultValueFactory = _ => 1 };
        var command = new Command("scale-sample", "Prints the paths of files chosen at random from the tree of --files files, one a line (the stat row of tools/bench/scale)")
        {
            files, count, seed,
        };
        command.SetAction(parsed =>
        {
            var shape = new ScaleTreeShape(parsed.GetValue(files));
            var random = new Random(parsed.GetValue(seed));
            using var output = new StreamWriter(Console.OpenStandardOutput());
            for (int i = 0; i < parsed.GetValue(count); i++)
            {
                output.WriteLine(shape.RelativePath(random.NextInt64(shape.Files)));
            }
            return 0;
        });
        return command;
    }

    /// <summary>The build's summary as tools/bench/scale reads it.</summary>
    private static JsonObject Json(ScaleVolumeSummary built) => new()
    {
        ["volume"] = built.Volume,
        ["files"] = built.Shape.Files,
        ["directories"] = built.Shape.Directories,
        ["big_directory_files"] = built.Shape.BigFiles,
        ["shared_extents"] = built.Shape.SharedExtents,
        ["shared_bytes"] = built.SharedBytes,
        ["many_extents"] = built.ManyExtents,
        ["volume_extents"] = built.VolumeExtents,
        ["build_s"] = Math.Round(built.BuildTime.TotalSeconds, 2),
        ["files_per_s"] = Math.Round(built.Shape.Files / built.BuildTime.TotalSeconds),
        ["meta_db_bytes"] = built.MetaDbBytes,
    };

    private static Option<long> FilesOption() => new("--files") { Description = "Files in the tree", Required = true };
}
