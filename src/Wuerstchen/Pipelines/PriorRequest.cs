using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Arguments of <see cref="WuerstchenPriorPipeline.Run"/>, named and defaulted like
/// <c>WuerstchenPriorPipeline.__call__</c> (SPEC §5.2). Tensors stay owned by the caller.
/// </summary>
public sealed record PriorRequest
{
    /// <summary>The prompts (diffusers' <c>prompt</c>, a string being a list of one).</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>One negative prompt per prompt; <c>""</c> for each when null. Used only with guidance.</summary>
    public IReadOnlyList<string>? NegativePrompts { get; init; }

    /// <summary>Precomputed <c>prompt_embeds</c> [B, 77, c_cond] instead of <see cref="Prompts"/>.</summary>
    public Tensor? PromptEmbeds { get; init; }

    /// <summary>Precomputed <c>negative_prompt_embeds</c> [B, 77, c_cond] instead of <see cref="NegativePrompts"/>.</summary>
    public Tensor? NegativePromptEmbeds { get; init; }

    public int Height { get; init; } = 1024;
    public int Width { get; init; } = 1024;

    /// <summary>Uniform steps: timesteps = linspace(1, 0, N + 1), N model evaluations. Ignored when <see cref="Timesteps"/> is set.</summary>
    public int NumInferenceSteps { get; init; } = 60;

    /// <summary>Explicit descending timesteps ending in 0 (e.g. <c>DEFAULT_STAGE_C_TIMESTEPS</c>); len − 1 model evaluations.</summary>
    public IReadOnlyList<float>? Timesteps { get; init; }

    /// <summary>Classifier-free guidance weight w of <c>lerp(uncond, cond, w)</c>; guidance is off for w ≤ 1.</summary>
    public float GuidanceScale { get; init; } = 8f;

    public int NumImagesPerPrompt { get; init; } = 1;

    /// <summary>Initial latents [B·n, c_in, ceil(H/42.67), ceil(W/42.67)] instead of drawing them.</summary>
    public Tensor? Latents { get; init; }

    /// <summary>LoRAs attached to the prior for this run (their terms add up); none when null or empty.</summary>
    public IReadOnlyList<LoraFile>? Loras { get; init; }
}

/// <summary>The prior's output: Stage C image embeddings <c>latents·latent_mean − latent_std</c>, [B·n, c_in, hC, wC].</summary>
public sealed class PriorResult(Tensor imageEmbeddings) : IDisposable
{
    public Tensor ImageEmbeddings { get; } = imageEmbeddings;

    public void Dispose() => ImageEmbeddings.Dispose();
}
