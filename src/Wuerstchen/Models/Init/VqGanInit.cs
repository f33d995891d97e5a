using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;

namespace Wuerstchen.Models.Init;

/// <summary>
/// From-scratch initialisation of Stage A (the VQGAN's training code is unpublished, SPEC §7.4): torch's default
/// Conv/Linear initialisation (Kaiming-uniform a = √5, biases U(±1/√fan_in)), the MixingResidualBlock
/// <c>gammas</c> = 0 as in the original module, BatchNorm weight 1 / bias 0 (running statistics 0 and 1), and
/// the codebook U(−1/K, 1/K) for K entries as the original <c>VectorQuantize</c>.
/// </summary>
public static class VqGanInit
{
    public const string CodebookKey = "vquantizer.embedding.weight";

    public static PaellaVQModel Create(PaellaVQConfig config, ulong seed)
    {
        var model = new PaellaVQModel(config, WeightSource.Random(seed));
        Apply(model, new TorchGenerator(seed));
        return model;
    }

    public static void Apply(PaellaVQModel model, TorchGenerator generator)
    {
        var shapes = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToArray());
        foreach (var (key, p) in model.StateDict())
        {
            if (key == CodebookKey)
                InitRandom.Uniform(p, generator, 1.0 / model.Config.NumVqEmbeddings);
            else if (key.EndsWith(".gammas", StringComparison.Ordinal) || key.EndsWith(".running_mean", StringComparison.Ordinal))
                InitRandom.Fill(p, 0f);
            else if (key.EndsWith(".running_var", StringComparison.Ordinal))
                InitRandom.Fill(p, 1f);
            else if (p.Rank == 1 && key.EndsWith(".weight", StringComparison.Ordinal))
                InitRandom.Fill(p, 1f);                                          // BatchNorm scale
            else if (key.EndsWith(".bias", StringComparison.Ordinal))
            {
                string weight = key[..^".bias".Length] + ".weight";
                if (shapes[weight].Length == 1) InitRandom.Fill(p, 0f);          // BatchNorm shift
                else InitRandom.Uniform(p, generator, 1.0 / Math.Sqrt(InitRandom.Fans(shapes[weight]).FanIn));
            }
            else
                InitRandom.KaimingUniformDefault(p, generator);
        }
    }
}
