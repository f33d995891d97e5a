using Wuerstchen.Models;
using Wuerstchen.Data;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Models.EfficientNet.EfficientNetFixtures;

namespace Wuerstchen.Tests.Models.EfficientNet;

public class EfficientNetEncoderTests
{
    // torchvision's EfficientNet_V2_*_Weights meta "num_params" less the classifier Linear(1280, 1000) (1,281,000).
    private const long ClassifierParameters = 1280 * 1000 + 1000;

    [Theory]
    [InlineData("efficientnet_v2_s", 21_458_488L)]
    [InlineData("efficientnet_v2_m", 54_139_356L)]
    [InlineData("efficientnet_v2_l", 118_515_272L)]
    public void Backbones_HaveTorchvisionsParameterCounts(string effnet, long torchvisionTotal)
    {
        using var ws = WeightSource.Meta();
        using var model = new EfficientNetEncoder(EfficientNetConfig.Presets[effnet], ws);
        long mapper = 16 * 1280 + 2 * 16;
        long backbone = model.NamedParameters().Where(p => p.Name.StartsWith("backbone.", StringComparison.Ordinal)).Sum(p => p.Value.Numel);
        Assert.Equal(torchvisionTotal - ClassifierParameters, backbone);
        Assert.Equal(backbone + mapper, model.ParameterCount());
    }

    [Fact]
    public void V2S_KeysAndShapesFollowTorchvisionsNaming()
    {
        using var ws = WeightSource.Meta();
        using var model = new EfficientNetEncoder(EfficientNetConfig.V2S, ws);
        var shapes = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape.ToArray());
        void Has(string key, params int[] shape) => Assert.True(shapes.TryGetValue(key, out var s) && s.SequenceEqual(shape),
            $"{key}: expected [{string.Join(", ", shape)}], found {(s is null ? "nothing" : $"[{string.Join(", ", s)}]")}");
        Has("backbone.0.0.weight", 24, 3, 3, 3);                    // stem
        Has("backbone.0.1.running_var", 24);
        Has("backbone.1.1.block.0.0.weight", 24, 24, 3, 3);         // FusedMBConv, expand 1: a single conv
        Has("backbone.2.0.block.0.0.weight", 96, 24, 3, 3);         // FusedMBConv, expand 4: fused expand …
        Has("backbone.2.0.block.1.0.weight", 48, 96, 1, 1);         // … and project
        Has("backbone.4.0.block.0.0.weight", 256, 64, 1, 1);        // MBConv expand
        Has("backbone.4.0.block.1.0.weight", 256, 1, 3, 3);         // depthwise
        Has("backbone.4.0.block.2.fc1.weight", 16, 256, 1, 1);      // SE squeeze = in // 4 = 16
        Has("backbone.4.0.block.2.fc2.bias", 256);
        Has("backbone.4.1.block.2.fc1.weight", 32, 512, 1, 1);      // later blocks: in = 128 → 32
        Has("backbone.4.0.block.3.0.weight", 128, 256, 1, 1);       // project
        Has("backbone.6.14.block.3.1.running_mean", 256);           // the 15th block of the last stage
        Has("backbone.7.0.weight", 1280, 256, 1, 1);                // head
        Has("mapper.0.weight", 16, 1280, 1, 1);
        Has("mapper.1.running_var", 16);
        Assert.False(shapes.ContainsKey("backbone.1.0.block.1.0.weight"));
        Assert.False(shapes.ContainsKey("backbone.8.0.weight"));
        Assert.DoesNotContain(shapes.Keys, k => k.Contains(".0.bias", StringComparison.Ordinal) && !k.Contains("fc", StringComparison.Ordinal));
        // Parameters exclude the running statistics; the state dict has them.
        Assert.DoesNotContain(model.NamedParameters(), p => p.Name.Contains("running", StringComparison.Ordinal));
        Assert.Equal(32, EfficientNetConfig.V2S.Stride);
    }

    [Fact]
    public void V2S_RunsWithStride32AndCeilingSizes()
    {
        using var ws = WeightSource.Random(5);
        using var model = new EfficientNetEncoder(EfficientNetConfig.V2S, ws);
        using var image = Tensor.Full(0.5f, 1, 3, 64, 97);
        using var y = model.Forward(image);
        Assert.Equal([1, 16, 2, 4], y.Shape.ToArray());           // ⌈64/32⌉, ⌈97/32⌉ (every stride-2 conv pads 1)
        Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void EvalForward_MatchesAPlainLoopReference()
    {
        using var model = Random(Small, seed: 3);
        var rng = new System.Random(4);
        using var x = Image(rng, 2, 3, 23, 30);
        using var y = model.Forward(x);
        var expected = new EfficientNetReference(Small, Weights64(model), training: false).Forward(ToMap(x));
        Assert.Equal([2, Small.CLatent, expected.H, expected.W], y.Shape.ToArray());
        Assert.Equal((3, 4), (expected.H, expected.W));           // stride 8: ⌈23/8⌉, ⌈30/8⌉
        AssertClose(expected.Data, y.ToArray(), 2e-4, "eval forward");
    }

    [Fact]
    public void TrainForward_UsesBatchStatisticsAndUpdatesRunningStatistics()
    {
        using var model = Random(Small, seed: 5);
        var before = Weights64(model);
        var rng = new System.Random(6);
        using var x = Image(rng, 3, 3, 16, 16);
        using var y = model.ForwardTrain(x);
        var expected = new EfficientNetReference(Small, before, training: true).Forward(ToMap(x));
        AssertClose(expected.Data, y.ToArray(), 2e-4, "train forward");
        Assert.Equal(1, model.TrainingPasses);

        // The stem's running statistics moved by momentum 0.1 towards the batch's (unbiased variance), as torch's do.
        var stem = EfficientNetReference.Conv(ToMap(x), before["backbone.0.0.weight"], null, Small.StemChannels, 3, 2, 1);
        var after = Weights64(model);
        int count = stem.N * stem.H * stem.W;
        for (int c = 0; c < Small.StemChannels; c++)
        {
            var (mean, variance) = EfficientNetReference.BatchStatistics(stem, c);
            Assert.Equal(0.9 * before["backbone.0.1.running_mean"][c] + 0.1 * mean, after["backbone.0.1.running_mean"][c], 4);
            Assert.Equal(0.9 * before["backbone.0.1.running_var"][c] + 0.1 * variance * count / (count - 1), after["backbone.0.1.running_var"][c], 3);
        }
        // Weights do not change; evaluation mode leaves the statistics alone.
        Assert.Equal(before["backbone.0.0.weight"], after["backbone.0.0.weight"]);
        using (model.Forward(x)) { }
        Assert.Equal(after["mapper.1.running_var"], Weights64(model)["mapper.1.running_var"]);
    }

    [Fact]
    public void TrainForward_RejectsASingleValuePerChannel()
    {
        using var model = Random(Small, seed: 7);
        using var x = Tensor.Zeros(1, 3, 8, 8);                    // 1 × 1 pixels from the strided depthwise conv of stage 4 on
        var e = Assert.Throws<ArgumentException>(() => model.ForwardTrain(x));
        Assert.Contains("backbone.4.0.block.1.1", e.Message);      // the BatchNorm that meets it first is named
        Assert.Contains("more than one value per channel", e.Message);
    }

    [Fact]
    public void StochasticDepth_DropsWholeResidualBranchesOnlyInTraining()
    {
        var config = Small with { StochasticDepthProb = 1f };     // block k drops with probability k / total
        using var model = Random(config, seed: 8);
        var rng = new System.Random(9);
        using var x = Image(rng, 4, 3, 16, 16);
        using var plain = model.ForwardTrain(x);
        using var dropped = model.ForwardTrain(x, new Wuerstchen.Rng.TorchGenerator(1));
        Assert.NotEqual(plain.ToArray(), dropped.ToArray());
        using var a = model.Forward(x);
        using var b = model.Forward(x);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void StageCHelpers_ScaleDownscaleAndNormalise()
    {
        using var mapped = Tensor.FromArray([-1f, 0f, 41f], 1, 3, 1, 1);
        using var latent = StageCLatentScale.Released.ToLatent(mapped);
        Assert.Equal([0f, 1f / 42, 1f], latent.ToArray());
        using var back = StageCLatentScale.Released.ToEmbeddings(latent);
        TensorAssert.Close(mapped, back, 1e-5, 0);

        Assert.Equal((768, 768), EfficientNetEncoder.StageCInputSize(1024, 1024));
        Assert.Equal((864, 576), EfficientNetEncoder.StageCInputSize(1152, 768));
        var rng = new System.Random(10);
        using var image = Image(rng, 1, 3, 40, 28);
        using var small = EfficientNetEncoder.DownscaleForStageC(image);
        var expected = new float[3 * 30 * 21];
        AntialiasedResize.Resize(image.ToArray(), 3, 40, 28, expected, 30, 21);  // PIL's algorithm, written independently
        TensorAssert.Close(expected, small.ToArray(), 1e-5, 1e-5, "3/4 downscale");

        using var rgb = Tensor.FromArray([0.485f, 1f, 0f], 1, 3, 1, 1);
        using var normalized = EfficientNetEncoder.Normalize(rgb);
        TensorAssert.Close(new[] { 0f, (1 - 0.456f) / 0.224f, -0.406f / 0.225f }, normalized.ToArray(), 1e-6, 1e-6, "normalise");
        Assert.Throws<ArgumentException>(() => EfficientNetEncoder.Normalize(Tensor.Zeros(1, 4, 2, 2)));
    }

    [Fact]
    public void EncodeStageC_Of1024SquaredShapedInputGives24Squared_ForAnyStride32Backbone()
    {
        using var model = Random(EfficientNetConfig.Tiny, seed: 11);
        using var image = Tensor.Full(0.25f, 1, 3, 256, 384);
        using var latent = model.EncodeStageC(image, StageCLatentScale.Released);
        Assert.Equal([1, 16, 6, 9], latent.Shape.ToArray());      // 256·3/4/32, 384·3/4/32: ⌈side/42.67⌉ as the pipelines expect
        using var small = EfficientNetEncoder.DownscaleForStageC(image);
        using var mapped = model.Encode(small);
        using var identity = model.EncodeStageC(image, StageCLatentScale.Identity);
        Assert.Equal(mapped.ToArray(), identity.ToArray());       // (x + 0) / 1: the mapper output itself
    }

    internal static void AssertClose(double[] expected, float[] actual, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(Math.Abs).Max();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= rtol * scale + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]}, the float64 reference gives {expected[i]} (scale {scale}).");
    }
}
