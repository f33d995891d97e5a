using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>Stage A's decoder half as the decoder pipeline uses it: <c>vqgan.decode(latents, force_not_quantize=True)</c>.</summary>
public interface IVqDecoder : IDisposable
{
    /// <summary>config <c>scale_factor</c> (0.3764): the pipeline decodes <c>scale_factor · latents</c>.</summary>
    float ScaleFactor { get; }

    /// <summary>Stage B latents (already multiplied by <see cref="ScaleFactor"/>) [B, 4, h, w] → pixels [B, 3, 4h, 4w], not yet clamped.</summary>
    Tensor Decode(Tensor latents);
}
