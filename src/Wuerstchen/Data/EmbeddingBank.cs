using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// Alternative image embeddings for a dataset's samples, keyed by sample id: one F32 tensor per id in shards
/// <c>embeddings-00000.safetensors</c>…, each written atomically with the bank's <see cref="Identity"/> (what made the
/// embeddings) and its members. Unlike a <see cref="LatentCache"/> a bank may cover only part of a dataset, and its
/// contents are not a function of the image alone (e.g. <see cref="Training.Trainers.PriorRedraw"/>: the prior's
/// re-drawing of each picture from its caption), so it is built by its own command and opened as it is.
/// </summary>
public sealed class EmbeddingBank : IDisposable
{
    public const string FormatName = "wuerstchen-embedding-bank-v1";
    private const string ShardPrefix = "embeddings-";

    private readonly SafeTensorsFile[] _shards;
    private readonly Dictionary<string, int> _shardOfId;

    public string Folder { get; }
    public string Identity { get; }

    /// <summary>Number of embeddings in the bank.</summary>
    public int Count => _shardOfId.Count;

    private EmbeddingBank(string folder, string identity, SafeTensorsFile[] shards, Dictionary<string, int> shardOfId)
    {
        Folder = folder;
        Identity = identity;
        _shards = shards;
        _shardOfId = shardOfId;
    }

    public static string ShardFileName(int shard) => string.Create(CultureInfo.InvariantCulture, $"{ShardPrefix}{shard:D5}.safetensors");

    /// <summary>
    /// Opens every shard in <paramref name="folder"/>. Throws, naming the folder or file, when there is none, a shard is
    /// not a bank shard, or the shards were made by different builds (identities).
    /// </summary>
    public static EmbeddingBank Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: embedding bank folder not found.");
        var paths = Directory.GetFiles(folder, ShardPrefix + "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        if (paths.Length == 0) throw new InvalidDataException($"{folder}: no embedding bank shards ({ShardPrefix}NNNNN.safetensors).");
        var shards = new List<SafeTensorsFile>();
        try
        {
            string? identity = null;
            var shardOfId = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                var file = SafeTensorsFile.Open(path);
                shards.Add(file);
                if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName || !file.Metadata.TryGetValue("identity", out var id))
                    throw new InvalidDataException($"{path}: not an embedding bank shard (metadata 'format' must be {FormatName}, with an 'identity').");
                identity ??= id;
                if (id != identity)
                    throw new InvalidDataException($"{path}: made by another build ({id}) than {paths[0]} ({identity}); rebuild the bank.");
                foreach (var key in file.Keys)
                    if (!shardOfId.TryAdd(key, shards.Count - 1))
                        throw new InvalidDataException($"{path}: id '{key}' is also in {paths[shardOfId[key]]}.");
            }
            return new EmbeddingBank(folder, identity!, [.. shards], shardOfId);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    public bool Contains(string id) => _shardOfId.ContainsKey(id);

    /// <summary>The embedding of sample <paramref name="id"/> as a new tensor, if the bank has it.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out Tensor? embedding)
    {
        embedding = null;
        if (!_shardOfId.TryGetValue(id, out int shard)) return false;
        embedding = _shards[shard].ReadTensor(id);
        return true;
    }

    /// <summary>
    /// Writes one shard atomically: <paramref name="embeddings"/> by id, with the bank's identity and
    /// <paramref name="extra"/> metadata (e.g. how each embedding was made).
    /// </summary>
    public static void WriteShard(string path, string identity, IReadOnlyList<(string Id, Tensor Embedding)> embeddings,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var writer = new SafeTensorsWriter();
        foreach (var (id, embedding) in embeddings) writer.Add(id, embedding);
        if (extra != null)
            foreach (var (k, v) in extra) writer.Metadata[k] = v;
        writer.Metadata["format"] = FormatName;
        writer.Metadata["identity"] = identity;
        writer.Metadata["members"] = JsonText.StringArray(embeddings.Select(e => e.Id));
        writer.Save(path);
    }

    /// <summary>Whether <paramref name="path"/> is a complete shard of build <paramref name="identity"/> holding exactly <paramref name="ids"/> (so a rerun can keep it).</summary>
    public static bool IsComplete(string path, string identity, IReadOnlyList<string> ids)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var file = SafeTensorsFile.Open(path);
            return file.Metadata.TryGetValue("format", out var f) && f == FormatName
                && file.Metadata.TryGetValue("identity", out var i) && i == identity
                && file.Metadata.TryGetValue("members", out var m) && m == JsonText.StringArray(ids);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Deletes the shards numbered <paramref name="shardCount"/> and above (left by a build over more samples).</summary>
    public static void DeleteShardsFrom(string folder, int shardCount)
    {
        foreach (var path in Directory.EnumerateFiles(folder, ShardPrefix + "*.safetensors"))
        {
            var number = Path.GetFileNameWithoutExtension(path)[ShardPrefix.Length..];
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int shard) && shard >= shardCount) File.Delete(path);
        }
    }

    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
