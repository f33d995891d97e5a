using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>
/// Tensors of a safetensors checkpoint (one file or the shards of an index). Aligned F32 tensors are borrowed
/// from the memory map without a copy; F16, BF16 and F64 are converted to float32.
/// </summary>
internal sealed class SafeTensorsWeightStore : WeightStore
{
    private readonly SafeTensorsCollection _files;

    public override string Description => _files.Source;

    private SafeTensorsWeightStore(SafeTensorsCollection files) => _files = files;

    public static SafeTensorsWeightStore OpenFiles(IReadOnlyList<string> paths) => new(SafeTensorsCollection.Open(paths));

    /// <summary>
    /// The weights of a component folder: <c>diffusion_pytorch_model*</c> (diffusers models) or <c>model*</c>
    /// (transformers text encoders), optionally a variant such as fp16 (see <see cref="DiffusersWeightFiles"/>).
    /// </summary>
    public static SafeTensorsWeightStore OpenFolder(string folder, string? variant)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: weight folder not found.");
        string[] baseNames = [DiffusersWeightFiles.DiffusersModel, DiffusersWeightFiles.TransformersModel];
        foreach (var baseName in baseNames)
            if (DiffusersWeightFiles.CandidateNames(baseName, variant).Any(name => File.Exists(Path.Combine(folder, name))))
                return new(SafeTensorsCollection.OpenComponent(folder, baseName, variant));
        // Neither naming scheme matched: let the resolver explain, listing what the folder offers.
        return new(SafeTensorsCollection.OpenComponent(folder, DiffusersWeightFiles.DiffusersModel, variant));
    }

    public override IEnumerable<string> Keys => _files.Keys;

    public override bool Contains(string key) => _files.Contains(key);

    public override Tensor Load(string key, int[] shape)
    {
        if (!_files.TryGetInfo(key, out var info))
            throw new InvalidDataException($"{Description}: tensor '{key}' (expected shape {ShapeText(shape)}) is missing.");
        string file = _files.FileOf(key).Path;
        if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
            throw new InvalidDataException($"{file}: tensor '{key}' has dtype {info.DType}; weights must be floating point.");
        if (!info.Shape.AsSpan().SequenceEqual(shape))
            throw new InvalidDataException($"{file}: tensor '{key}' has shape {ShapeText(info.Shape)}, expected {ShapeText(shape)}.");
        return _files.LoadTensor(key);
    }

    public override void Dispose() => _files.Dispose();
}
