using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;

namespace Wuerstchen.Models.Init;

/// <summary>
/// From-scratch initialisation of the CLIP text tower, transformers' <c>CLIPPreTrainedModel._init_weights</c>
/// with initializer_factor f = 1: token and position embeddings ~ N(0, 0.02·f); q/k/v projections
/// ~ N(0, d^−½·(2L)^−½·f); the attention output projection ~ N(0, d^−½·f); <c>fc1</c> ~ N(0, (2d)^−½·f);
/// <c>fc2</c> ~ N(0, d^−½·(2L)^−½·f); every Linear bias 0; LayerNorm weight 1, bias 0 (d = hidden size,
/// L = layers).
/// </summary>
public static class ClipTextInit
{
    public static ClipTextModel Create(ClipTextConfig config, ulong seed)
    {
        var model = new ClipTextModel(config, WeightSource.Random(seed));
        Apply(model, new TorchGenerator(seed));
        return model;
    }

    public static void Apply(ClipTextModel model, TorchGenerator generator, double factor = 1.0)
    {
        int d = model.Config.HiddenSize, layers = Math.Max(1, model.Config.NumHiddenLayers);
        double inProjStd = Math.Pow(d, -0.5) * Math.Pow(2.0 * layers, -0.5) * factor;
        double outProjStd = Math.Pow(d, -0.5) * factor;
        double fcStd = Math.Pow(2.0 * d, -0.5) * factor;
        foreach (var (key, p) in model.NamedParameters())
        {
            if (key.EndsWith("embedding.weight", StringComparison.Ordinal)) InitRandom.Normal(p, generator, 0.02 * factor);
            else if (key.EndsWith(".bias", StringComparison.Ordinal)) InitRandom.Fill(p, 0f);
            else if (p.Rank == 1) InitRandom.Fill(p, 1f);                       // LayerNorm weight
            else if (key.EndsWith("q_proj.weight", StringComparison.Ordinal) || key.EndsWith("k_proj.weight", StringComparison.Ordinal) ||
                     key.EndsWith("v_proj.weight", StringComparison.Ordinal)) InitRandom.Normal(p, generator, inProjStd);
            else if (key.EndsWith("out_proj.weight", StringComparison.Ordinal)) InitRandom.Normal(p, generator, outProjStd);
            else if (key.EndsWith("fc1.weight", StringComparison.Ordinal)) InitRandom.Normal(p, generator, fcStd);
            else if (key.EndsWith("fc2.weight", StringComparison.Ordinal)) InitRandom.Normal(p, generator, inProjStd);
            else throw new InvalidOperationException($"ClipTextInit: no rule for parameter '{key}' {p}.");
        }
    }
}
