using System.Diagnostics.CodeAnalysis;
using Wuerstchen.Tensors;

namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Several safetensors files presented as one key space: the shards of a sharded checkpoint, or any set of
/// files whose tensor names do not collide. Reads are forwarded to the file that holds the key.
/// </summary>
public sealed class SafeTensorsCollection : IDisposable
{
    private readonly SafeTensorsFile[] _files;
    private readonly Dictionary<string, SafeTensorsFile> _owner;
    private readonly string[] _keys;

    /// <summary>Where the weights came from (a folder, an index or a file), for messages.</summary>
    public string Source { get; }

    public IReadOnlyList<SafeTensorsFile> Files => _files;

    /// <summary>All tensor names, file by file in header order.</summary>
    public IReadOnlyCollection<string> Keys => _keys;

    private SafeTensorsCollection(string source, SafeTensorsFile[] files, SafeTensorsIndex? index)
    {
        Source = source;
        _files = files;
        _owner = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach (var f in files)
        {
            foreach (var key in f.Keys)
            {
                if (_owner.TryGetValue(key, out var other))
                    throw new InvalidDataException($"{source}: tensor '{key}' is in both {other.Path} and {f.Path}.");
                _owner[key] = f;
                keys.Add(key);
            }
        }
        _keys = [.. keys];
        if (index != null) CheckAgainstIndex(index);
    }

    /// <summary>The weight map must describe the shards exactly, or tensors would silently go missing or come from the wrong file.</summary>
    private void CheckAgainstIndex(SafeTensorsIndex index)
    {
        foreach (var (key, shard) in index.WeightMap)
        {
            if (!_owner.TryGetValue(key, out var file))
                throw new InvalidDataException($"{index.Path}: '{key}' is mapped to {Path.GetFileName(shard)}, which has no such tensor.");
            if (!SamePath(file.Path, shard))
                throw new InvalidDataException($"{index.Path}: '{key}' is mapped to {Path.GetFileName(shard)} but stored in {Path.GetFileName(file.Path)}.");
        }
        foreach (var key in _keys)
        {
            if (!index.WeightMap.ContainsKey(key))
                throw new InvalidDataException($"{index.Path}: tensor '{key}' of {Path.GetFileName(_owner[key].Path)} is missing from the weight_map.");
        }
    }

    private static bool SamePath(string a, string b) => Path.GetFullPath(a) == Path.GetFullPath(b);

    /// <summary>Opens the given files as one collection; tensor names must be unique across them.</summary>
    public static SafeTensorsCollection Open(params IEnumerable<string> paths)
    {
        var list = paths.ToArray();
        if (list.Length == 0) throw new ArgumentException("No safetensors files given.", nameof(paths));
        return Create(list.Length == 1 ? list[0] : string.Join(", ", list), list, null);
    }

    /// <summary>Opens a sharded checkpoint through its <c>*.safetensors.index.json</c>.</summary>
    public static SafeTensorsCollection OpenIndex(string indexPath)
    {
        var index = SafeTensorsIndex.Read(indexPath);
        return Create(indexPath, index.Shards, index);
    }

    /// <summary>
    /// Opens the weights of a diffusers / transformers component folder, e.g. <c>(prior, "diffusion_pytorch_model", "fp16")</c>;
    /// see <see cref="DiffusersWeightFiles"/> for the names tried.
    /// </summary>
    public static SafeTensorsCollection OpenComponent(string folder, string baseName = DiffusersWeightFiles.DiffusersModel, string? variant = null)
    {
        var resolved = DiffusersWeightFiles.Resolve(folder, baseName, variant);
        return Create(resolved.Index?.Path ?? resolved.Files[0], resolved.Files, resolved.Index);
    }

    private static SafeTensorsCollection Create(string source, IReadOnlyList<string> paths, SafeTensorsIndex? index)
    {
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var p in paths) files.Add(SafeTensorsFile.Open(p));
            return new SafeTensorsCollection(source, [.. files], index);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    public bool Contains(string key) => _owner.ContainsKey(key);

    /// <summary>The file that holds <paramref name="key"/>.</summary>
    public SafeTensorsFile FileOf(string key) =>
        _owner.TryGetValue(key, out var f) ? f : throw new KeyNotFoundException($"{Source}: no tensor '{key}'.");

    public bool TryGetInfo(string key, [NotNullWhen(true)] out SafeTensorInfo? info)
    {
        info = null;
        return _owner.TryGetValue(key, out var f) && f.TryGetInfo(key, out info);
    }

    public SafeTensorInfo GetInfo(string key) => FileOf(key).GetInfo(key);

    /// <inheritdoc cref="SafeTensorsFile.ReadTensor"/>
    public Tensor ReadTensor(string key) => FileOf(key).ReadTensor(key);

    /// <inheritdoc cref="SafeTensorsFile.TryBorrowTensor"/>
    public bool TryBorrowTensor(string key, [NotNullWhen(true)] out Tensor? tensor) => FileOf(key).TryBorrowTensor(key, out tensor);

    /// <inheritdoc cref="SafeTensorsFile.LoadTensor"/>
    public Tensor LoadTensor(string key) => FileOf(key).LoadTensor(key);

    /// <inheritdoc cref="SafeTensorsFile.ReadInt64"/>
    public long[] ReadInt64(string key) => FileOf(key).ReadInt64(key);

    /// <inheritdoc cref="SafeTensorsFile.ReadFloat64"/>
    public double[] ReadFloat64(string key) => FileOf(key).ReadFloat64(key);

    /// <inheritdoc cref="SafeTensorsFile.ReadRaw"/>
    public byte[] ReadRaw(string key) => FileOf(key).ReadRaw(key);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    public override string ToString() => $"SafeTensorsCollection({Source}, {_files.Length} files, {_keys.Length} tensors)";
}
