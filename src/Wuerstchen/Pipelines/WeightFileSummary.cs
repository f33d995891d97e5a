using System.Text.RegularExpressions;
using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// What a safetensors weight file holds, read from its header only (no tensor data is touched, so this is instant
/// even for the 4 GB Stage B file): tensor and parameter counts per dtype, and the diffusers variant and shard
/// the file name encodes (<c>diffusion_pytorch_model.fp16-00001-of-00002.safetensors</c>).
/// </summary>
public sealed partial record WeightFileSummary(
    string Path,
    string BaseName,
    string? Variant,
    int? Shard,
    int TensorCount,
    long ParameterCount,
    long BufferCount,
    long DataBytes,
    IReadOnlyDictionary<SafeTensorsDType, long> ElementsByDType)
{
    /// <summary>Floating-point elements count as parameters; integer tensors (e.g. CLIP's position_ids) are buffers.</summary>
    public static WeightFileSummary Read(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        long parameters = 0, buffers = 0, bytes = 0;
        var byDType = new SortedDictionary<SafeTensorsDType, long>();
        foreach (var key in file.Keys)
        {
            var info = file.GetInfo(key);
            bool isFloat = info.DType is SafeTensorsDType.F64 or SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16;
            if (isFloat) parameters += info.Numel; else buffers += info.Numel;
            bytes += info.End - info.Begin;
            byDType[info.DType] = byDType.GetValueOrDefault(info.DType) + info.Numel;
        }
        var (baseName, variant, shard) = ParseName(System.IO.Path.GetFileName(path));
        return new WeightFileSummary(path, baseName, variant, shard, file.Keys.Count, parameters, buffers, bytes, byDType);
    }

    /// <summary>All safetensors files of a component folder, sorted by base name, variant and shard.</summary>
    public static IReadOnlyList<WeightFileSummary> ReadFolder(string folder) =>
        Directory.EnumerateFiles(folder, "*.safetensors")
            .Select(Read)
            .OrderBy(s => s.BaseName, StringComparer.Ordinal)
            .ThenBy(s => s.Variant ?? "", StringComparer.Ordinal)
            .ThenBy(s => s.Shard ?? 0)
            .ToList();

    /// <summary>Splits <c>base[.variant][-NNNNN-of-MMMMM].safetensors</c>.</summary>
    internal static (string BaseName, string? Variant, int? Shard) ParseName(string fileName)
    {
        var m = NamePattern().Match(fileName);
        if (!m.Success) return (System.IO.Path.GetFileNameWithoutExtension(fileName), null, null);
        string? variant = m.Groups["variant"].Success ? m.Groups["variant"].Value : null;
        int? shard = m.Groups["shard"].Success ? int.Parse(m.Groups["shard"].Value) : null;
        return (m.Groups["base"].Value, variant, shard);
    }

    [GeneratedRegex(@"^(?<base>[^.]+?)(\.(?<variant>[A-Za-z0-9_]+))?(-(?<shard>\d{5})-of-\d{5})?\.safetensors$")]
    private static partial Regex NamePattern();
}
