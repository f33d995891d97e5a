using System.Globalization;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// How a Stage C latent relates to the image embedding Stage B consumes (the semantic compressor's mapper output):
/// <c>latent = (embedding + Std) / Mean</c> and back <c>embedding = latent · Mean − Std</c> — the prior pipeline's
/// <c>latent_mean</c> / <c>latent_std</c> in model_index.json, applied as diffusers applies them (SPEC §2.13, §5.2).
/// The released compressor's mapper output has a standard deviation of about 42, so <see cref="Released"/> (42, 1)
/// makes its latents about unit variance. A compressor trained from scratch ends in a BatchNorm whose output is
/// already about unit variance: it wants <see cref="Identity"/> (1, 0), or its latents have a standard deviation of
/// 1/42 and the prior sees almost nothing but noise at every t.
/// </summary>
public readonly record struct StageCLatentScale(double Mean, double Std)
{
    /// <summary>Würstchen v2's <c>(mapper + 1) / 42</c>.</summary>
    public static StageCLatentScale Released { get; } = new(42.0, 1.0);

    /// <summary>The embedding is the latent.</summary>
    public static StageCLatentScale Identity { get; } = new(1.0, 0.0);

    /// <summary>Throws unless <see cref="Mean"/> is finite and non-zero and <see cref="Std"/> finite (<paramref name="what"/> names the source).</summary>
    public StageCLatentScale Validated(string what)
    {
        if (!double.IsFinite(Mean) || Mean == 0 || !double.IsFinite(Std))
            throw new ArgumentException($"{what}: latent_mean must be finite and non-zero and latent_std finite, got latent_mean {Format(Mean)}, latent_std {Format(Std)}.");
        return this;
    }

    /// <summary>The Stage C latent of image embeddings: <c>(embedding + Std) / Mean</c>.</summary>
    public Tensor ToLatent(Tensor embeddings)
    {
        using var shifted = Ops.Add(embeddings, (float)Std);
        return Ops.Div(shifted, (float)Mean);
    }

    /// <summary>The image embeddings of a Stage C latent: <c>latent · Mean − Std</c> (diffusers' order of operations).</summary>
    public Tensor ToEmbeddings(Tensor latents)
    {
        using var scaled = Ops.Mul(latents, (float)Mean);
        return Ops.Add(scaled, -(float)Std);
    }

    public override string ToString() => $"latent_mean {Format(Mean)}, latent_std {Format(Std)}";

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
