using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;

namespace Wuerstchen.Models.Init;

/// <summary>
/// From-scratch initialisation of Stage C, the original <c>Prior</c>'s (SPEC §7.2): Xavier-uniform for every
/// Conv2d/Linear weight, biases 0; <c>projection.weight</c> and both <c>cond_mapper</c> weights ~ N(0, 0.02);
/// <c>out.1.weight</c> = 0; each ResBlock's <c>channelwise.4.weight</c> scaled by √(1/depth); TimestepBlock
/// <c>mapper.weight</c> = 0; GRN γ = β = 0; the attention in-projections Xavier-uniform over the stacked
/// [3c, c] matrix of the original nn.MultiheadAttention.
/// </summary>
public static class PriorInit
{
    /// <summary>A new prior with owned, writable weights initialised from <paramref name="seed"/>.</summary>
    public static WuerstchenPrior Create(WuerstchenPriorConfig config, ulong seed)
    {
        var model = new WuerstchenPrior(config, WeightSource.Random(seed));
        Apply(model, new TorchGenerator(seed));
        return model;
    }

    /// <summary>Overwrites every parameter of <paramref name="model"/> in construction order.</summary>
    public static void Apply(WuerstchenPrior model, TorchGenerator generator)
    {
        int c = model.Config.C;
        foreach (var (key, p) in model.NamedParameters())
        {
            if (key.EndsWith(".gamma", StringComparison.Ordinal) || key.EndsWith(".beta", StringComparison.Ordinal) || key.EndsWith(".bias", StringComparison.Ordinal))
                InitRandom.Fill(p, 0f);
            else if (key is "projection.weight" or "cond_mapper.0.weight" or "cond_mapper.2.weight")
                InitRandom.Normal(p, generator, 0.02);
            else if (key == "out.1.weight" || key.EndsWith(".mapper.weight", StringComparison.Ordinal))
                InitRandom.Fill(p, 0f);
            else if (InitKeys.IsAttentionInProjection(key))
                InitRandom.XavierUniform(p, generator, fans: (c, 3 * c));
            else
            {
                InitRandom.XavierUniform(p, generator);
                if (key.EndsWith(".channelwise.4.weight", StringComparison.Ordinal)) InitRandom.Scale(p, Math.Sqrt(1.0 / model.Config.Depth));
            }
        }
    }
}

/// <summary>Key patterns shared by the initialisers.</summary>
internal static class InitKeys
{
    /// <summary>to_q / to_k / to_v of an AttnBlock: rows of the original's stacked in_proj_weight.</summary>
    public static bool IsAttentionInProjection(string key) =>
        key.EndsWith(".attention.to_q.weight", StringComparison.Ordinal) ||
        key.EndsWith(".attention.to_k.weight", StringComparison.Ordinal) ||
        key.EndsWith(".attention.to_v.weight", StringComparison.Ordinal);
}
