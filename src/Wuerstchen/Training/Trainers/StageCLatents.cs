using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// What the prior learns to draw: <c>x0 = (compressor(images) + latent_std) / latent_mean</c> from the frozen semantic
/// compressor, computed without recording, and the identity of that mapping for a <see cref="LatentCache"/>. Shared by
/// every trainer that reads Stage C latents (the prior, LoRA, the text-encoder pre-training), so they share caches.
/// </summary>
public sealed class StageCLatents(ISemanticCompressor compressor, StageCLatentScale scale)
{
    public ISemanticCompressor Compressor { get; } = compressor;
    public StageCLatentScale Scale { get; } = scale;

    /// <summary>x0 of <paramref name="images"/> [B, 3, S, S], nothing recorded.</summary>
    public Tensor Encode(Tensor images)
    {
        using var _ = Tape.NoGrad();
        using var features = Compressor.Encode(images, training: false);
        return Scale.ToLatent(features);
    }

    /// <summary>x0 of a batch: its cached latents (copied) or its images encoded.</summary>
    public Tensor Of(CaptionBatch batch)
    {
        if (batch.Latents is { } cached) return cached.Clone();
        var images = batch.Images ?? throw new ArgumentException("The batch holds neither images nor latents.", nameof(batch));
        return Encode(images);
    }

    /// <summary>
    /// The mapping as a <see cref="LatentEncoder"/>. <paramref name="compressorIdentity"/> must name the compressor's
    /// weights (e.g. a fingerprint of its files); its input handling and the scale are part of the identity, so
    /// switching recipes rebuilds the cache. The released scale keeps the identity it always had.
    /// </summary>
    public LatentEncoder CacheEncoder(string compressorIdentity) =>
        new($"{compressorIdentity};stage-c-x0;input={Compressor.InputSignature}{(Scale == StageCLatentScale.Released ? "" : $";{Scale}")}", Encode);
}
