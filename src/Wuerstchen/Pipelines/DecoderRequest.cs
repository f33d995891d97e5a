using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>What the decoder returns: decoded images, or only the Stage B latents (diffusers' <c>output_type="latent"</c>).</summary>
public enum DecoderOutputType { Image, Latent }

/// <summary>
/// Arguments of <see cref="WuerstchenDecoderPipeline.Run"/>, named and defaulted like
/// <c>WuerstchenDecoderPipeline.__call__</c> (SPEC §5.3). Tensors stay owned by the caller.
/// </summary>
public sealed record DecoderRequest
{
    /// <summary>Stage C image embeddings [Be, 16, hC, wC] (the prior's output).</summary>
    public required Tensor ImageEmbeddings { get; init; }

    /// <summary>
    /// The prompts. One prompt conditions every image (diffusers' behaviour); with P &gt; 1 prompts the image
    /// embeddings are taken as P equal consecutive groups, group p belonging to prompt p (the order the prior
    /// produces), which is what diffusers intends but cannot do (SPEC §5.3 quirk a).
    /// </summary>
    public IReadOnlyList<string> Prompts { get; init; } = [""];

    /// <summary>One negative prompt per prompt; <c>""</c> for each when null. Used only with guidance.</summary>
    public IReadOnlyList<string>? NegativePrompts { get; init; }

    /// <summary>Uniform steps: timesteps = linspace(1, 0, N + 1). Ignored when <see cref="Timesteps"/> is set.</summary>
    public int NumInferenceSteps { get; init; } = 12;

    /// <summary>Explicit descending timesteps ending in 0.</summary>
    public IReadOnlyList<float>? Timesteps { get; init; }

    /// <summary>Classifier-free guidance weight; off for ≤ 1 (the default 0). The unconditional pass uses zero image embeddings and the negative prompts.</summary>
    public float GuidanceScale { get; init; } = 0f;

    /// <summary>Images per image embedding: each embedding row is decoded this many times with different noise (diffusers fails for &gt; 1, quirk b).</summary>
    public int NumImagesPerPrompt { get; init; } = 1;

    /// <summary>Initial Stage B latents [Be·n, 4, int(hC·10.67), int(wC·10.67)] instead of drawing them.</summary>
    public Tensor? Latents { get; init; }

    public DecoderOutputType OutputType { get; init; } = DecoderOutputType.Image;
}

/// <summary>The decoder's output: images [B, 3, H, W] in [0, 1] (unless only latents were asked for) and the final Stage B latents.</summary>
public sealed class DecoderResult(Tensor? images, Tensor latents) : IDisposable
{
    /// <summary><c>clamp(vqgan.decode(scale_factor · latents), 0, 1)</c>; null for <see cref="DecoderOutputType.Latent"/>.</summary>
    public Tensor? Images { get; } = images;

    /// <summary>The denoised Stage B latents [B, 4, hB, wB] (before the VQGAN scale factor).</summary>
    public Tensor Latents { get; } = latents;

    public void Dispose()
    {
        Images?.Dispose();
        Latents.Dispose();
    }
}
