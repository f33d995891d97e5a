using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>Tensors of one or more safetensors files (shards); F32, F16, BF16 and F64 are converted to float32.</summary>
internal sealed class SafeTensorsWeightStore : WeightStore
{
    private readonly List<SafeTensorsFile> _files = [];
    private readonly Dictionary<string, SafeTensorsFile> _byKey = new(StringComparer.Ordinal);

    public override string Description { get; }

    public SafeTensorsWeightStore(IReadOnlyList<string> paths, string description)
    {
        Description = description;
        try
        {
            foreach (var path in paths)
            {
                var file = SafeTensorsFile.Open(path);
                _files.Add(file);
                foreach (var key in file.Keys)
                    if (!_byKey.TryAdd(key, file))
                        throw new InvalidDataException($"{path}: tensor '{key}' is also in {_byKey[key].Path}; shards must not overlap.");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override IEnumerable<string> Keys => _byKey.Keys;

    public override bool Contains(string key) => _byKey.ContainsKey(key);

    public override Tensor Load(string key, int[] shape)
    {
        if (!_byKey.TryGetValue(key, out var file))
            throw new InvalidDataException($"{Description}: tensor '{key}' (expected shape {ShapeText(shape)}) is missing.");
        var info = file.GetInfo(key);
        if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
            throw new InvalidDataException($"{file.Path}: tensor '{key}' has dtype {info.DType}; weights must be floating point.");
        if (!info.Shape.AsSpan().SequenceEqual(shape))
            throw new InvalidDataException($"{file.Path}: tensor '{key}' has shape {ShapeText(info.Shape)}, expected {ShapeText(shape)}.");
        return file.ReadTensor(key);
    }

    public override void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
        _byKey.Clear();
    }
}
