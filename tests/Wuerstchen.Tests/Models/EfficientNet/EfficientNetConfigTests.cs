using Wuerstchen.Models.Configs;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Models.EfficientNet;

public class EfficientNetConfigTests
{
    [Fact]
    public void DiffusersConfig_SelectsTheTorchvisionPreset()
    {
        var config = EfficientNetConfig.From(ConfigJson.Parse(
            """{"_class_name": "EfficientNetEncoder", "c_latent": 16, "c_cond": 1280, "effnet": "efficientnet_v2_s"}""", "effnet/config.json"));
        Assert.Equal(EfficientNetConfig.V2S, config);
        Assert.Equal(1e-3f, config.BatchNormEps);
        Assert.Equal(32, config.Stride);
        Assert.Equal(40, config.TotalBlocks);
        Assert.True(config.IsPreset);
        // Written back with diffusers' keys only, so the folder stays loadable by diffusers.
        string json = config.ToJson();
        Assert.DoesNotContain("block_types", json);
        Assert.Equal(config, EfficientNetConfig.From(ConfigJson.Parse(json, "roundtrip")));
    }

    [Fact]
    public void CustomBackbone_RoundTripsThroughConfigJson()
    {
        using var folder = new TempFolder();
        var tiny = EfficientNetConfig.Tiny with { CLatent = 8, StochasticDepthProb = 0f };
        tiny.Save(folder.Path);
        var loaded = EfficientNetConfig.Load(folder.Path);
        Assert.Equal(tiny, loaded);
        Assert.False(loaded.IsPreset);
        Assert.Contains("\"block_types\"", File.ReadAllText(folder.File("config.json")));
    }

    [Theory]
    [InlineData("""{"effnet": "resnet50"}""", "effnet")]
    [InlineData("""{"_class_name": "PaellaVQModel"}""", "_class_name")]
    [InlineData("""{"effnet": "t", "stem_channels": 8, "block_types": ["MBConv"], "expand_ratios": [4], "kernel_sizes": [3], "strides": [3], "out_channels": [8], "num_layers": [1]}""", "strides[0]")]
    [InlineData("""{"effnet": "t", "stem_channels": 8, "block_types": ["MBConv"], "expand_ratios": [4, 4], "kernel_sizes": [3], "strides": [2], "out_channels": [8], "num_layers": [1]}""", "expand_ratios")]
    [InlineData("""{"effnet": "t", "stem_channels": 8, "block_types": ["Conv"], "expand_ratios": [4], "kernel_sizes": [3], "strides": [2], "out_channels": [8], "num_layers": [1]}""", "block_types[0]")]
    [InlineData("""{"effnet": "t", "stem_channels": 8, "block_types": ["MBConv"], "expand_ratios": [4], "kernel_sizes": [4], "strides": [2], "out_channels": [8], "num_layers": [1]}""", "kernel_sizes[0]")]
    [InlineData("""{"c_latent": 0}""", "c_latent")]
    public void BadConfigs_NameTheFileAndKey(string json, string key)
    {
        var e = Assert.Throws<InvalidDataException>(() => EfficientNetConfig.From(ConfigJson.Parse(json, "effnet/config.json")));
        Assert.Contains("effnet/config.json", e.Message);
        Assert.Contains($"'{key}'", e.Message);
    }

    [Theory]
    [InlineData(24 * 4, 96)]
    [InlineData(4 * 2, 8)]
    [InlineData(3, 8)]          // never below the divisor
    [InlineData(12, 16)]        // 12 rounds half up to 16
    [InlineData(36, 40)]
    [InlineData(68, 72)]
    [InlineData(20, 24)]
    public void MakeDivisible_MatchesTorchvision(int value, int expected) =>
        Assert.Equal(expected, EfficientNetStage.MakeDivisible(value, 8));
}
