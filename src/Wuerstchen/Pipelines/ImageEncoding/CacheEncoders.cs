using Wuerstchen.Models;
using Wuerstchen.Data;
using Wuerstchen.IO.Png;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines.ImageEncoding;

/// <summary>
/// The codecs as frozen <see cref="LatentEncoder"/>s for a <see cref="LatentCache"/>: dataset images (in the
/// dataset's <see cref="PixelRange"/>) → latents, with an identity fingerprinting the weight files, the latent space
/// and the input range, so a cache built by other weights or settings is rebuilt.
/// </summary>
public static class CacheEncoders
{
    /// <summary>Stage B latents (<c>vqgan.encode(x) / scale_factor</c>, SPEC §7.3) of images in <paramref name="range"/>.</summary>
    public static LatentEncoder StageB(StageACodec codec, string weightsFolder, PixelRange range) =>
        new(Identity(weightsFolder, LatentSpace.StageB, range), images => WithUnitRange(images, range, codec.Encode));

    /// <summary>Stage C latents (<c>(effnet(¾ image) + latent_std) / latent_mean</c>, SPEC §7.2) of images in <paramref name="range"/>; evaluation mode.</summary>
    public static LatentEncoder StageC(SemanticCodec codec, string weightsFolder, PixelRange range, StageCLatentScale scale) =>
        new(Identity(weightsFolder, LatentSpace.StageC, range) + $";{scale}", images => WithUnitRange(images, range, x => codec.EncodeStageC(x, scale)));

    private static string Identity(string folder, LatentSpace space, PixelRange range)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: weights folder not found.");
        var files = Directory.GetFiles(folder, "*.json").Concat(Directory.GetFiles(folder, "*.safetensors")).Order(StringComparer.Ordinal);
        return LatentEncoder.FingerprintFiles(files, $"{LatentFile.SpaceName(space)};input={range}");
    }

    /// <summary>The codecs take [0, 1]; [−1, 1] images are mapped with x/2 + ½ first.</summary>
    private static Tensor WithUnitRange(Tensor images, PixelRange range, Func<Tensor, Tensor> encode)
    {
        if (range == PixelRange.ZeroToOne) return encode(images);
        using var half = Ops.Mul(images, 0.5f);
        using var unit = Ops.Add(half, 0.5f);
        return encode(unit);
    }
}
