using Wuerstchen.Rng;

namespace Wuerstchen.Models.Lora;

/// <summary>
/// LoRA on Stage C as diffusers' <c>train_text_to_image_lora_prior.py</c> sets it up (SPEC §7.5): PEFT targets
/// <c>to_q</c>, <c>to_k</c>, <c>to_v</c>, <c>to_out.0</c> (every AttnBlock's attention projections), lora_alpha = rank,
/// keys <c>prior.&lt;module&gt;.lora_A.weight</c> / <c>.lora_B.weight</c>.
/// </summary>
public static class PriorLora
{
    /// <summary>The pipeline component name diffusers prefixes the keys with.</summary>
    public const string KeyPrefix = "prior.";

    /// <summary>The script's target modules (its <c>add_k_proj</c> / <c>add_v_proj</c> match nothing in Würstchen).</summary>
    public static IReadOnlyList<string> DefaultTargets { get; } = ["to_k", "to_q", "to_v", "to_out.0"];

    /// <summary>
    /// New trainable adapters (A Kaiming-uniform from <paramref name="generator"/>, B = 0) on <paramref name="prior"/>'s
    /// <paramref name="targets"/> (default <see cref="DefaultTargets"/>); the script uses α = rank (scale 1).
    /// </summary>
    public static LoraNetwork Attach(WuerstchenPrior prior, int rank, float alpha, TorchGenerator generator, IReadOnlyList<string>? targets = null) =>
        LoraNetwork.Attach(prior, KeyPrefix, rank, alpha, generator, targets ?? DefaultTargets);

    /// <summary>As <see cref="Attach(WuerstchenPrior, int, float, TorchGenerator, IReadOnlyList{string}?)"/>, α defaulting to the rank as in the script.</summary>
    public static LoraNetwork Attach(WuerstchenPrior prior, int rank, TorchGenerator generator, float? alpha = null, IReadOnlyList<string>? targets = null) =>
        Attach(prior, rank, alpha ?? rank, generator, targets);

    /// <summary>Attaches a <c>pytorch_lora_weights.safetensors</c> with strength <paramref name="scale"/>.</summary>
    public static LoraNetwork Load(WuerstchenPrior prior, string file, float scale = 1f) => LoraNetwork.Load(prior, KeyPrefix, file, scale);
}
