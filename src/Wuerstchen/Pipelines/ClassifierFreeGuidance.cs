using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>Classifier-free guidance as the Würstchen pipelines apply it (SPEC §5.2, pitfall 9).</summary>
internal static class ClassifierFreeGuidance
{
    /// <summary>diffusers' <c>do_classifier_free_guidance = guidance_scale &gt; 1</c>: a scale of 1 (or less) means no unconditional pass at all.</summary>
    public static bool IsEnabled(float guidanceScale) => guidanceScale > 1f;

    /// <summary>
    /// Splits the model output of a [cond; uncond] batch and returns <c>torch.lerp(uncond, cond, w)</c>.
    /// Ops.Lerp evaluates torch's two forms (for w ≥ 0.5: <c>cond − (cond − uncond)·(1 − w)</c>), which differ
    /// from <c>uncond + w·(cond − uncond)</c> in the last bit.
    /// </summary>
    public static Tensor Combine(Tensor condThenUncond, float guidanceScale)
    {
        if (condThenUncond.Size(0) % 2 != 0)
            throw new ArgumentException($"A guided batch has a conditional and an unconditional half; got {condThenUncond}.");
        var halves = condThenUncond.Chunk(2, 0);
        return Ops.Lerp(halves[1], halves[0], guidanceScale);
    }
}
