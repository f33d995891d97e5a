using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Where the pipelines' randomness comes from. One torch-compatible generator is shared by every draw of a call,
/// in the order of SPEC §5.5, so a seed reproduces diffusers' images.
/// </summary>
internal static class PipelineRandom
{
    /// <summary>A generator seeded unpredictably, for callers that pass none (diffusers then uses torch's global generator).</summary>
    public static TorchGenerator NewGenerator() => new((ulong)System.Random.Shared.NextInt64(0, long.MaxValue));

    /// <summary>
    /// diffusers' <c>prepare_latents</c>: the given latents (shape-checked, copied so the caller keeps theirs) or a
    /// <c>randn</c> draw of <paramref name="shape"/>; multiplied by <c>init_noise_sigma</c> = 1, i.e. unchanged.
    /// </summary>
    public static Tensor InitialLatents(int[] shape, Tensor? given, TorchGenerator generator, string argumentName)
    {
        if (given == null) return generator.Randn(shape);
        if (!given.Shape.SequenceEqual(shape))
            throw new ArgumentException($"Unexpected {argumentName} shape {given}, expected [{string.Join(", ", shape)}].", argumentName);
        return given.Clone();
    }
}
