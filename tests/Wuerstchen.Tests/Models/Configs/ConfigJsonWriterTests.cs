using Wuerstchen.Models.Configs;

namespace Wuerstchen.Tests.Models.Configs;

public class ConfigJsonWriterTests
{
    private static string Tiny(params string[] parts) => Reference.Path_(parts);

    [Fact]
    public void EveryWriterRoundTripsThroughItsReader()
    {
        var prior = WuerstchenPriorConfig.Load(Tiny("tiny-wuerstchen-prior", "prior"));
        Assert.Equal(prior, WuerstchenPriorConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(prior), "written")));
        Assert.Equal(WuerstchenPriorConfig.WarpAi, WuerstchenPriorConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(WuerstchenPriorConfig.WarpAi), "written")));

        var decoder = WuerstchenDiffNeXtConfig.Load(Tiny("tiny-wuerstchen", "decoder"));
        Assert.Equal(decoder, WuerstchenDiffNeXtConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(decoder), "written")));
        var mixedDropout = decoder with { Dropout = [0.1f, 0.2f, 0f, 0.1f] };
        Assert.Equal(mixedDropout, WuerstchenDiffNeXtConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(mixedDropout), "written")));

        var vq = PaellaVQConfig.Load(Tiny("tiny-wuerstchen", "vqgan"));
        Assert.Equal(vq, PaellaVQConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(vq), "written")));

        var clip = ClipTextConfig.Load(Tiny("tiny-wuerstchen-prior", "text_encoder"));
        Assert.Equal(clip, ClipTextConfig.From(ConfigJson.Parse(ConfigJsonWriter.ToJson(clip), "written")));
    }

    [Fact]
    public void WrittenConfigsUseTheDiffusersKeysAndShortestFloats()
    {
        var json = ConfigJsonWriter.ToJson(PaellaVQConfig.Load(Tiny("tiny-wuerstchen", "vqgan")));
        Assert.Contains("\"_class_name\": \"PaellaVQModel\"", json);
        Assert.Contains("\"scale_factor\": 0.3764", json);
        Assert.DoesNotContain("0.37639", json);
        Assert.Contains("\"dropout\": 0.1,", ConfigJsonWriter.ToJson(WuerstchenPriorConfig.WarpAi));
        Assert.Contains("\"architectures\"", ConfigJsonWriter.ToJson(ClipTextConfig.WarpAiPrior));
    }
}
