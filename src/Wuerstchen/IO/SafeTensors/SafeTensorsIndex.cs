using System.Text.Json;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// A sharded checkpoint's <c>*.safetensors.index.json</c>: <c>{"metadata": {...}, "weight_map": {tensor: shard file}}</c>,
/// with shard names relative to the index's folder.
/// </summary>
public sealed class SafeTensorsIndex
{
    public string Path { get; }

    /// <summary>Tensor name → absolute path of the shard that holds it.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard paths, in order of first appearance in the weight map.</summary>
    public IReadOnlyList<string> Shards { get; }

    private SafeTensorsIndex(string path, Dictionary<string, string> weightMap, List<string> shards)
    {
        Path = path; WeightMap = weightMap; Shards = shards;
    }

    public static SafeTensorsIndex Read(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object with a 'weight_map' object.");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            var shards = new List<string>();
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: weight_map entry '{entry.Name}' is a JSON {entry.Value.ValueKind}, not a file name.");
                var shard = ShardPath(path, folder, entry.Value.GetString()!);
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw new InvalidDataException($"{path}: weight_map lists '{entry.Name}' more than once.");
                if (!shards.Contains(shard)) shards.Add(shard);
            }
            if (shards.Count == 0) throw new InvalidDataException($"{path}: weight_map is empty.");
            return new SafeTensorsIndex(path, weightMap, shards);
        }
    }

    /// <summary>Shards live beside the index: an absolute path or one climbing out of the folder is refused.</summary>
    private static string ShardPath(string indexPath, string folder, string name)
    {
        var parts = name.Split('/', '\\');
        if (name.Length == 0 || System.IO.Path.IsPathRooted(name) || parts.Any(p => p is "" or "." or ".."))
            throw new InvalidDataException($"{indexPath}: shard name '{name}' is not a plain relative file name.");
        return System.IO.Path.Combine([folder, .. parts]);
    }
}
