using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>
/// Stage A (the VQGAN) as an image codec between pixels in [0, 1] and <see cref="LatentSpace.StageB"/> latents:
/// <c>encode(x) / scale_factor</c> and <c>clamp(decode(scale_factor · z), 0, 1)</c> (without quantisation, as the
/// decoder pipeline decodes).
/// </summary>
public sealed class StageACodec(PaellaVQModel vqgan) : IDisposable
{
    public PaellaVQModel Model { get; } = vqgan;

    /// <summary>Pixels per latent per side (4 released).</summary>
    public int DownscaleFactor => Model.DownscaleFactor;

    /// <summary>
    /// Loads the VQGAN of <paramref name="path"/>: a <c>vqgan</c> component folder, or a pipeline folder
    /// (<c>model_index.json</c>) that has one.
    /// </summary>
    public static StageACodec FromFolder(string path, string? variant = null)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: folder not found.");
        if (File.Exists(Path.Combine(path, ModelFolder.IndexFileName)))
            path = ModelFolder.Open(path).ComponentPath("vqgan");
        return new StageACodec(PaellaVQModel.FromPretrained(path, variant));
    }

    /// <summary>Throws unless Stage A can encode an image of this size (sides multiples of <see cref="DownscaleFactor"/>).</summary>
    public void CheckImageSize(int height, int width)
    {
        int f = DownscaleFactor;
        if (height % f != 0 || width % f != 0)
            throw new ArgumentException(
                $"the image is {width}×{height}; Stage A needs sides that are multiples of {f} " +
                $"(e.g. {width / f * f}×{height / f * f} cropped, or {(width + f - 1) / f * f}×{(height + f - 1) / f * f} padded).");
    }

    /// <summary>Stage B latents [B, 4, H/4, W/4] of images [B, 3, H, W] in [0, 1].</summary>
    public Tensor Encode(Tensor images)
    {
        CheckImageSize(images.Size(2), images.Size(3));
        using var latents = Model.Encode(images);
        return Ops.Div(latents, Model.Config.ScaleFactor);
    }

    /// <summary>Images in [0, 1] from Stage B latents.</summary>
    public Tensor Decode(Tensor latents)
    {
        using var scaled = Ops.Mul(latents, Model.Config.ScaleFactor);
        using var decoded = Model.Decode(scaled);
        return Ops.Clamp(decoded, 0f, 1f);
    }

    /// <summary>Decode(Encode(images)): Stage A's round trip.</summary>
    public Tensor Reconstruct(Tensor images)
    {
        using var latents = Encode(images);
        return Decode(latents);
    }

    public void Dispose() => Model.Dispose();
}
