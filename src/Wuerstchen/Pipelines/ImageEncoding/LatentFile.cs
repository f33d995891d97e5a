using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>Which latent space a latent file holds.</summary>
public enum LatentSpace
{
    /// <summary>
    /// Stage A's latent as Stage B denoises it: <c>vqgan.encode(image) / scale_factor</c> [B, 4, H/4, W/4]; the decoder
    /// pipeline's output latents are in this space, and <c>clamp(vqgan.decode(scale_factor · x), 0, 1)</c> decodes it.
    /// </summary>
    StageB,

    /// <summary>
    /// The semantic compressor's latent as Stage C denoises it: <c>(mapper + 1) / 42</c> [B, 16, ⌈H/42.67⌉, ⌈W/42.67⌉];
    /// the prior pipeline's output is <c>x · 42 − 1</c> of it, the image embedding Stage B is conditioned on.
    /// </summary>
    StageC,
}

/// <summary>
/// A latent tensor in a safetensors file: one F32 tensor <c>latents</c> and metadata naming its
/// <see cref="LatentSpace"/> (<c>latent_space</c>: "stage_b" / "stage_c") and whatever produced it.
/// </summary>
public static class LatentFile
{
    public const string TensorName = "latents";
    public const string SpaceKey = "latent_space";

    public static string SpaceName(LatentSpace space) => space switch
    {
        LatentSpace.StageB => "stage_b",
        LatentSpace.StageC => "stage_c",
        _ => throw new ArgumentOutOfRangeException(nameof(space), space, null),
    };

    /// <summary>Writes <paramref name="latents"/> atomically, with <paramref name="metadata"/> added to the header.</summary>
    public static void Save(string path, Tensor latents, LatentSpace space, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafeTensorsWriter();
        writer.Add(TensorName, latents);
        writer.Metadata[SpaceKey] = SpaceName(space);
        if (metadata != null)
            foreach (var (k, v) in metadata) writer.Metadata[k] = v;
        writer.Save(path);
    }

    /// <summary>
    /// Reads a latent file: the tensor named <c>latents</c> (or the file's only tensor) and its space. A file without
    /// the metadata (e.g. written by other tools) is taken by its channel count: 4 → Stage B, else Stage C.
    /// </summary>
    public static (Tensor Latents, LatentSpace Space) Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: latent file not found.", path);
        using var file = SafeTensorsFile.Open(path);
        string key = file.Contains(TensorName) ? TensorName
            : file.Keys.Count == 1 ? file.Keys.Single()
            : throw new InvalidDataException($"{path}: holds {file.Keys.Count} tensors and none is named '{TensorName}'.");
        var latents = file.ReadTensor(key);
        if (latents.Rank != 4)
        {
            string shape = latents.ToString();
            latents.Dispose();
            throw new InvalidDataException($"{path}: '{key}' is {shape}; latents are [B, C, h, w].");
        }
        LatentSpace space;
        if (file.Metadata.TryGetValue(SpaceKey, out var name))
        {
            space = name switch
            {
                "stage_b" => LatentSpace.StageB,
                "stage_c" => LatentSpace.StageC,
                _ => throw new InvalidDataException($"{path}: unknown {SpaceKey} \"{name}\" (expected \"stage_b\" or \"stage_c\")."),
            };
        }
        else
        {
            space = latents.Size(1) == 4 ? LatentSpace.StageB : LatentSpace.StageC;
        }
        return (latents, space);
    }
}
