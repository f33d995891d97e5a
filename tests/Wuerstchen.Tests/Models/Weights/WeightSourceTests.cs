using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;

namespace Wuerstchen.Tests.Models.Weights;

public class WeightSourceTests
{
    private static string PriorFile => Path.Combine(ModelFolders.TinyPrior, "diffusion_pytorch_model.safetensors");

    [Fact]
    public void Scope_PrefixesKeysAndGetChecksTheShape()
    {
        using var ws = WeightSource.FromFolder(ModelFolders.TinyPrior);
        var block = ws.Scope("blocks.3").Scope("depthwise");
        Assert.Equal("blocks.3.depthwise.weight", block.Key("weight"));
        using var w = block.Get("weight", 32, 1, 3, 3);
        Assert.Equal([32, 1, 3, 3], w.Shape.ToArray());
        Assert.True(block.Contains("bias"));
        Assert.False(block.Contains("gamma"));
        Assert.Equal(["blocks.3.depthwise.weight"], ws.ConsumedKeys());
        Assert.Equal(32 * 9, ws.ConsumedElementCount);
    }

    [Fact]
    public void MissingTensor_IsAnErrorNamingFileAndKey()
    {
        using var ws = WeightSource.FromFolder(ModelFolders.TinyPrior);
        var e = Assert.Throws<InvalidDataException>(() => new WuerstchenPrior(WuerstchenPriorConfig.Load(ModelFolders.TinyPrior) with { Depth = 3 }, ws));
        Assert.Contains(PriorFile, e.Message);
        Assert.Contains("'blocks.6.depthwise.weight'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void MisShapedTensor_IsAnErrorNamingFileKeyAndBothShapes()
    {
        using var ws = WeightSource.FromFolder(ModelFolders.TinyPrior);
        var e = Assert.Throws<InvalidDataException>(() => new WuerstchenPrior(WuerstchenPriorConfig.Load(ModelFolders.TinyPrior) with { CCond = 20 }, ws));
        Assert.Contains(PriorFile, e.Message);
        Assert.Contains("'cond_mapper.0.weight'", e.Message);
        Assert.Contains("[32, 24]", e.Message);
        Assert.Contains("expected [32, 20]", e.Message);
    }

    [Fact]
    public void UnusedKeys_ListTensorsTheModelNeverRead()
    {
        using var ws = WeightSource.FromFolder(ModelFolders.TinyPrior);
        using var model = new WuerstchenPrior(WuerstchenPriorConfig.Load(ModelFolders.TinyPrior) with { Depth = 1 }, ws);
        var unused = ws.UnusedKeys();
        Assert.Equal(20, unused.Count);   // blocks 3, 4, 5: 8 + 2 + 10 tensors
        Assert.All(unused, k => Assert.Matches(@"^blocks\.[345]\.", k));
        var e = Assert.Throws<InvalidDataException>(() => ws.EnsureAllUsed("WuerstchenPrior"));
        Assert.Contains("20 tensor(s) not used by WuerstchenPrior", e.Message);
        Assert.Contains("blocks.3.channelwise.0.bias", e.Message);
    }

    [Fact]
    public void KnownBuffers_AreNotReportedAsUnused()
    {
        // The prior text encoder stores text_model.embeddings.position_ids; the VQGAN a BatchNorm num_batches_tracked.
        using (var ws = WeightSource.FromFolder(ModelFolders.TinyPriorTextEncoder))
        using (var te = new ClipTextModel(ClipTextConfig.Load(ModelFolders.TinyPriorTextEncoder), ws))
        {
            Assert.Contains("text_model.embeddings.position_ids", ReadKeys(ModelFolders.TinyPriorTextEncoder, "model.safetensors"));
            Assert.Empty(ws.UnusedKeys());
        }
        using (var ws = WeightSource.FromFolder(ModelFolders.TinyVqgan))
        using (var vq = new PaellaVQModel(PaellaVQConfig.Load(ModelFolders.TinyVqgan), ws))
        {
            Assert.Empty(ws.UnusedKeys());
            Assert.Equal(51, ws.ConsumedTensorCount);   // 52 stored; num_batches_tracked is a buffer
        }
    }

    [Fact]
    public void Variants_LoadTheirOwnFilesConvertedToFloat32()
    {
        using var f32 = WeightSource.FromFolder(ModelFolders.TinyPrior);
        using var f16 = WeightSource.FromFolder(ModelFolders.TinyPrior, "fp16");
        using var bf16 = WeightSource.FromFolder(ModelFolders.TinyPrior, "bf16");
        Assert.EndsWith("diffusion_pytorch_model.fp16.safetensors", f16.Description);
        using var a = f32.Get("cond_mapper.0.weight", 32, 24);
        using var b = f16.Get("cond_mapper.0.weight", 32, 24);
        using var c = bf16.Get("cond_mapper.0.weight", 32, 24);
        float[] x = a.ToArray(), y = b.ToArray(), z = c.ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal((float)(Half)x[i], y[i]);
            Assert.True(Math.Abs(z[i] - x[i]) <= Math.Abs(x[i]) / 128, $"bf16 element {i}: {z[i]} vs {x[i]}");
        }
        Assert.NotEqual(x, y);
    }

    [Fact]
    public void MissingFolderOrVariant_IsAnErrorNamingTheFolder()
    {
        var e = Assert.Throws<FileNotFoundException>(() => WeightSource.FromFolder(ModelFolders.TinyPrior, "ema"));
        Assert.Contains(ModelFolders.TinyPrior, e.Message);
        Assert.Contains("ema", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => WeightSource.FromFolder(Path.Combine(ModelFolders.TinyPrior, "nope")));
    }

    [Fact]
    public void RandomWeights_AreDeterministicPerKeyAndScaledByFanIn()
    {
        using var ws1 = WeightSource.Random(seed: 7);
        using var ws2 = WeightSource.Random(seed: 7);
        using var ws3 = WeightSource.Random(seed: 8);
        using var a = ws1.Scope("blocks.0").Get("channelwise.0.weight", 256, 64);
        using var other = ws2.Get("blocks.0.channelwise.4.weight", 64, 256);   // asked for first: order must not matter
        using var b = ws2.Get("blocks.0.channelwise.0.weight", 256, 64);
        using var c = ws3.Get("blocks.0.channelwise.0.weight", 256, 64);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());

        var values = a.ToArray();
        float bound = 1f / MathF.Sqrt(64);
        Assert.All(values, v => Assert.InRange(v, -bound, bound));
        double mean = values.Average(v => (double)v), rms = Math.Sqrt(values.Average(v => (double)v * v));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(rms, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));   // uniform(−b, b) has rms b/√3

        using var bias = ws1.Get("x.bias", 16);
        using var norm = ws1.Get("x.weight", 16);
        using var var_ = ws1.Get("bn.running_var", 4);
        Assert.All(bias.ToArray(), v => Assert.InRange(v, -0.1f, 0.1f));
        Assert.Contains(bias.ToArray(), v => v != 0);
        Assert.All(norm.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(var_.ToArray(), v => Assert.Equal(1f, v));
        Assert.Empty(ws1.UnusedKeys());
    }

    [Fact]
    public void MetaWeights_HaveShapesButNoStorage()
    {
        using var ws = WeightSource.Meta();
        using var w = ws.Get("huge.weight", 100_000, 100_000);
        Assert.Equal(10_000_000_000L, w.Numel);
        Assert.Equal(1, w.Storage.Length);
        Assert.Equal(10_000_000_000L, ws.ConsumedElementCount);
    }

    private static IReadOnlyCollection<string> ReadKeys(string folder, string file)
    {
        using var f = Wuerstchen.IO.SafeTensors.SafeTensorsFile.Open(Path.Combine(folder, file));
        return f.Keys.ToList();
    }
}
