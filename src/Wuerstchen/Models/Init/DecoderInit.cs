using System.Text.RegularExpressions;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Init;

/// <summary>
/// From-scratch initialisation of Stage B, the original <c>DiffNeXt</c>'s (= diffusers' <c>_init_weights</c>,
/// SPEC §7.3): Xavier-uniform Conv2d/Linear weights, biases 0; <c>effnet_mappers.*.weight</c> and
/// <c>clip_mapper.weight</c> ~ N(0, 0.02); <c>embedding.1.weight</c> Xavier-uniform with gain 0.02;
/// <c>clf.1.weight</c> = 0; ResBlockStageB <c>channelwise.4.weight</c> scaled by √(1/Σblocks); TimestepBlock
/// <c>mapper.weight</c> = 0; GRN γ = β = 0. The upsamplers' ConvTranspose2d is no Conv2d, so it keeps torch's
/// default (Kaiming-uniform a = √5, bias U(±1/√fan_in)).
/// </summary>
public static partial class DecoderInit
{
    public static WuerstchenDiffNeXt Create(WuerstchenDiffNeXtConfig config, ulong seed)
    {
        var model = new WuerstchenDiffNeXt(config, WeightSource.Random(seed));
        Apply(model, new TorchGenerator(seed));
        return model;
    }

    public static void Apply(WuerstchenDiffNeXt model, TorchGenerator generator)
    {
        var config = model.Config;
        double blockScale = Math.Sqrt(1.0 / config.Blocks.Sum());
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value.Shape.ToArray());
        foreach (var (key, p) in model.NamedParameters())
        {
            if (ConvTranspose().IsMatch(key))
            {
                // torch's fan_in of a ConvTranspose2d weight [in, out, k, k] is size(1)·k·k.
                int fanIn = InitRandom.Fans(shapes[WeightOf(key)]).FanIn;
                if (key.EndsWith(".bias", StringComparison.Ordinal)) InitRandom.Uniform(p, generator, 1.0 / Math.Sqrt(fanIn));
                else InitRandom.KaimingUniformDefault(p, generator, fanIn);
            }
            else if (key.EndsWith(".gamma", StringComparison.Ordinal) || key.EndsWith(".beta", StringComparison.Ordinal) || key.EndsWith(".bias", StringComparison.Ordinal))
                InitRandom.Fill(p, 0f);
            else if (key == "clip_mapper.weight" || (key.StartsWith("effnet_mappers.", StringComparison.Ordinal) && key.EndsWith(".weight", StringComparison.Ordinal)))
                InitRandom.Normal(p, generator, 0.02);
            else if (key == "embedding.1.weight")
                InitRandom.XavierUniform(p, generator, gain: 0.02);
            else if (key == "clf.1.weight" || key.EndsWith(".mapper.weight", StringComparison.Ordinal))
                InitRandom.Fill(p, 0f);
            else if (InitKeys.IsAttentionInProjection(key))
            {
                int c = p.Size(1);
                InitRandom.XavierUniform(p, generator, fans: (c, 3 * c));
            }
            else
            {
                InitRandom.XavierUniform(p, generator);
                if (key.EndsWith(".channelwise.4.weight", StringComparison.Ordinal)) InitRandom.Scale(p, blockScale);
            }
        }
    }

    private static string WeightOf(string key) => key[..key.LastIndexOf('.')] + ".weight";

    // up_blocks.<level>.<index>.1.{weight,bias}: the ConvTranspose2d of an upsampler (LayerNorm2d, ConvTranspose2d).
    [GeneratedRegex(@"^up_blocks\.\d+\.\d+\.1\.(weight|bias)$")]
    private static partial Regex ConvTranspose();
}
