using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;

namespace Wuerstchen.Tests.Models;

/// <summary>
/// The released architectures built from the released configs, checked against SPEC §3's tensor and parameter
/// counts (which match the released file sizes). Running them at real scale is left to the benchmarks.
/// </summary>
public class RealScaleTests
{
    [Fact]
    public void Prior_WithRandomWeights_HasTheReleasedParameterCount()
    {
        var config = WuerstchenPriorConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen-prior", "prior"));
        using var ws = WeightSource.Random(seed: 1);
        using var prior = new WuerstchenPrior(config, ws);
        Assert.Equal(648, ws.ConsumedTensorCount);
        Assert.Equal(993_636_896L, ws.ConsumedElementCount);
        // Real random values, not placeholders: spot-check one of the large matrices.
        var w = ws.Get("blocks.93.channelwise.4.weight", 1536, 6144);
        var values = w.Narrow(0, 0, 1).ToArray();
        Assert.Contains(values, v => v != 0);
        Assert.All(values, v => Assert.InRange(v, -1 / MathF.Sqrt(6144), 1 / MathF.Sqrt(6144)));
        w.Dispose();
    }

    [Fact]
    public void Decoder_HasTheReleasedParameterCount()
    {
        var config = WuerstchenDiffNeXtConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen", "decoder"));
        using var ws = WeightSource.Meta();
        using var decoder = new WuerstchenDiffNeXt(config, ws);
        Assert.Equal(990, ws.ConsumedTensorCount);
        Assert.Equal(1_055_365_280L, ws.ConsumedElementCount);
        // Spot-check key layout against SPEC §2.9's tables.
        var keys = ws.ConsumedKeys();
        Assert.Contains("down_blocks.2.0.1.weight", keys);           // downsampler of level 2
        Assert.Contains("up_blocks.1.42.1.weight", keys);            // upsampler after 14 × CTA
        Assert.DoesNotContain("effnet_mappers.0.weight", keys);      // inject_effnet[0] is false: no keys
        Assert.DoesNotContain("effnet_mappers.7.weight", keys);
        Assert.Contains("effnet_mappers.6.weight", keys);
    }

    [Fact]
    public void Vqgan_HasTheReleasedParameterCount()
    {
        var config = PaellaVQConfig.Load(ModelFolders.RealConfig("warp-ai--wuerstchen", "vqgan"));
        using var ws = WeightSource.Meta();
        using var vq = new PaellaVQModel(config, ws);
        // 122 stored tensors less num_batches_tracked; 18,406,894 learnable parameters plus the BatchNorm running mean and variance.
        Assert.Equal(121, ws.ConsumedTensorCount);
        Assert.Equal(18_406_894L + 2 * 4, ws.ConsumedElementCount);
        Assert.Contains("up_blocks.13.weight", ws.ConsumedKeys());
    }

    [Theory]
    [InlineData("warp-ai--wuerstchen-prior", 32, 693_021_440L)]
    [InlineData("warp-ai--wuerstchen", 24, 352_984_064L)]
    public void TextEncoders_HaveTheReleasedParameterCounts(string repo, int layers, long parameters)
    {
        var config = ClipTextConfig.Load(ModelFolders.RealConfig(repo, "text_encoder"));
        using var ws = WeightSource.Meta();
        using var te = new ClipTextModel(config, ws);
        Assert.Equal(2 + 16 * layers + 2, ws.ConsumedTensorCount);
        Assert.Equal(parameters, ws.ConsumedElementCount);
    }
}
