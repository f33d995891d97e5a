using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.Configs;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Checkpoints;

/// <summary>
/// One model of a checkpoint as diffusers lays it out: a folder with <c>config.json</c> and the weights under
/// state-dict keys, in <c>diffusion_pytorch_model.safetensors</c> (diffusers models) or <c>model.safetensors</c>
/// (transformers models such as the CLIP text encoder). Exactly what <c>FromPretrained</c> reads back.
/// </summary>
/// <param name="Name">Folder name in the pipeline: <c>prior</c>, <c>decoder</c>, <c>vqgan</c>, <c>text_encoder</c>, <c>effnet</c>.</param>
/// <param name="ConfigJson">The config.json text (see <see cref="ConfigJsonWriter"/>).</param>
/// <param name="WeightsFileName">The weight file's name.</param>
/// <param name="Tensors">State-dict key → tensor; with EMA on, the averaged weights.</param>
public sealed record ComponentFolder(string Name, string ConfigJson, string WeightsFileName, IReadOnlyList<KeyValuePair<string, Tensor>> Tensors)
{
    public const string DiffusersWeights = "diffusion_pytorch_model.safetensors";
    public const string TransformersWeights = "model.safetensors";

    /// <summary>
    /// Writes the folder <c>&lt;parent&gt;/&lt;Name&gt;</c> (which must not exist yet: checkpoints are assembled in a fresh
    /// temporary folder). <paramref name="dtype"/> F16 or BF16 exports half-precision weights under the diffusers
    /// variant name (<c>diffusion_pytorch_model.fp16.safetensors</c>) next to nothing else, so loaders that ask for
    /// that variant find it; F32 writes the plain file.
    /// </summary>
    public void Write(string parent, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        var folder = Path.Combine(parent, Name);
        Directory.CreateDirectory(folder);
        ConfigJsonWriter.Save(Path.Combine(folder, "config.json"), ConfigJson);
        SafeTensorsWriter.Save(Path.Combine(folder, VariantFileName(WeightsFileName, dtype)), Tensors,
            new Dictionary<string, string> { ["format"] = "pt" }, dtype);
    }

    /// <summary>diffusers' variant file name: <c>x.safetensors</c> → <c>x.fp16.safetensors</c> / <c>x.bf16.safetensors</c>.</summary>
    public static string VariantFileName(string fileName, SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => fileName,
        SafeTensorsDType.F16 => Path.ChangeExtension(fileName, null) + ".fp16.safetensors",
        SafeTensorsDType.BF16 => Path.ChangeExtension(fileName, null) + ".bf16.safetensors",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Checkpoints are exported as F32, F16 or BF16."),
    };

    /// <summary>The variant name <c>FromPretrained</c> takes for <paramref name="dtype"/> (null for F32).</summary>
    public static string? Variant(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F16 => "fp16",
        SafeTensorsDType.BF16 => "bf16",
        _ => null,
    };
}
