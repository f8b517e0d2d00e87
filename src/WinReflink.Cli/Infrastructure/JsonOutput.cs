using System.Text.Json;

namespace WinReflink.Cli.Infrastructure;

/// <summary>The one JSON writer of every --json output: camelCase keys, indented, one document per run.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
