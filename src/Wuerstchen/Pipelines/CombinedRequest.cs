using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Arguments of <see cref="WuerstchenCombinedPipeline.Run"/>, defaulted like <c>WuerstchenCombinedPipeline.__call__</c>
/// (SPEC §5.4) — note 512 × 512 and prior guidance 4, not the prior pipeline's 1024² and 8. diffusers' decoder
/// arguments <c>num_inference_steps</c> / <c>decoder_timesteps</c> / <c>decoder_guidance_scale</c> are the
/// <c>Decoder*</c> properties here. Tensors stay owned by the caller.
/// </summary>
public sealed record CombinedRequest
{
    public IReadOnlyList<string>? Prompts { get; init; }
    public IReadOnlyList<string>? NegativePrompts { get; init; }

    /// <summary>Precomputed prior text embeddings instead of <see cref="Prompts"/> (the decoder then gets the prompt "").</summary>
    public Tensor? PromptEmbeds { get; init; }
    public Tensor? NegativePromptEmbeds { get; init; }

    public int Height { get; init; } = 512;
    public int Width { get; init; } = 512;

    public int PriorNumInferenceSteps { get; init; } = 60;
    public IReadOnlyList<float>? PriorTimesteps { get; init; }
    public float PriorGuidanceScale { get; init; } = 4f;

    /// <summary>LoRAs for the prior (Stage C), as <see cref="PriorRequest.Loras"/>.</summary>
    public IReadOnlyList<LoraFile>? PriorLoras { get; init; }

    public int DecoderNumInferenceSteps { get; init; } = 12;
    public IReadOnlyList<float>? DecoderTimesteps { get; init; }
    public float DecoderGuidanceScale { get; init; } = 0f;

    public int NumImagesPerPrompt { get; init; } = 1;

    /// <summary>Initial prior latents (the decoder always draws its own, as in diffusers).</summary>
    public Tensor? Latents { get; init; }

    public DecoderOutputType OutputType { get; init; } = DecoderOutputType.Image;
}

/// <summary>Both stages' outputs: the Stage C image embeddings, the images (unless only latents were asked for) and the Stage B latents.</summary>
public sealed class CombinedResult(Tensor imageEmbeddings, Tensor? images, Tensor latents) : IDisposable
{
    /// <summary>[B·n, 16, hC, wC], the prior's output.</summary>
    public Tensor ImageEmbeddings { get; } = imageEmbeddings;

    /// <summary>[B·n, 3, H, W] in [0, 1]; null for <see cref="DecoderOutputType.Latent"/>.</summary>
    public Tensor? Images { get; } = images;

    /// <summary>[B·n, 4, hB, wB], the decoder's final latents.</summary>
    public Tensor Latents { get; } = latents;

    public void Dispose()
    {
        ImageEmbeddings.Dispose();
        Images?.Dispose();
        Latents.Dispose();
    }
}
