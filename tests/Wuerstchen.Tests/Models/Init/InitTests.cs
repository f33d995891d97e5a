using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Init;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models.Init;

public class InitTests
{
    private static readonly WuerstchenPriorConfig Prior = new(CIn: 8, C: 64, CCond: 24, CR: 16, Depth: 2, NHead: 4);

    private static Dictionary<string, float[]> State(Wuerstchen.Models.Nn.Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    private static double Std(float[] v) => Math.Sqrt(v.Select(x => (double)x * x).Average());

    [Fact]
    public void XavierUniformAndKaimingDefaultBoundsFollowTorchsFans()
    {
        using var w = Tensor.Empty(96, 32, 3, 3);
        var g = new TorchGenerator(1);
        InitRandom.XavierUniform(w, g);
        double bound = Math.Sqrt(6.0 / (32 * 9 + 96 * 9));
        var v = w.ToArray();
        Assert.True(v.Max() <= bound && v.Min() >= -bound);
        Assert.True(v.Max() > 0.95 * bound && v.Min() < -0.95 * bound);
        Assert.Equal(bound / Math.Sqrt(3), Std(v), 2);              // U(−b, b) has std b/√3
        InitRandom.KaimingUniformDefault(w, g);
        Assert.Equal(1 / Math.Sqrt(32 * 9) / Math.Sqrt(3), Std(w.ToArray()), 2);
    }

    [Fact]
    public void PriorFollowsTheAuthorsRecipeAndStartsAsTheIdentity()
    {
        using var prior = PriorInit.Create(Prior, seed: 3);
        var s = State(prior);
        Assert.All(s.Where(kv => kv.Key.EndsWith(".bias") || kv.Key.EndsWith(".gamma") || kv.Key.EndsWith(".beta") || kv.Key.EndsWith(".mapper.weight") || kv.Key == "out.1.weight"),
            kv => Assert.All(kv.Value, x => Assert.Equal(0f, x)));
        Assert.Equal(0.02, Std(s["cond_mapper.0.weight"]), 2);
        Assert.Equal(0.02, Std(s["projection.weight"].Concat(s["cond_mapper.2.weight"]).ToArray()), 2);
        double inProj = Math.Sqrt(6.0 / (64 + 3 * 64));
        Assert.True(s["blocks.2.attention.to_q.weight"].Max(Math.Abs) <= inProj);
        Assert.True(s["blocks.2.attention.to_q.weight"].Max(Math.Abs) > 0.95 * inProj);
        double scaled = Math.Sqrt(6.0 / (256 + 64)) * Math.Sqrt(1.0 / 2);
        Assert.InRange(s["blocks.0.channelwise.4.weight"].Max(Math.Abs), 0.95 * scaled, scaled * 1.0001);

        // out.1 = 0 gives a = b = 0: ε̂ = x / (|1 − 0| + 1e-5).
        using var x = new TorchGenerator(1).Randn(2, 8, 3, 3);
        using var r = Tensor.FromArray([0.3f, 0.9f], 2);
        using var c = new TorchGenerator(2).Randn(2, 5, 24);
        using var _ = Tape.NoGrad();
        using var y = prior.Forward(x, r, c);
        var xs = x.ToArray(); var ys = y.ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(xs[i] / (1f + 1e-5f), ys[i], 6);
    }

    [Fact]
    public void DecoderFollowsDiffusersInitAndStartsAsTwiceItsInput()
    {
        var config = WuerstchenDiffNeXtConfig.Load(Reference.Path_("tiny-wuerstchen", "decoder"));
        using var decoder = DecoderInit.Create(config, seed: 4);
        var s = State(decoder);
        Assert.All(s["clf.1.weight"], x => Assert.Equal(0f, x));
        Assert.All(s["down_blocks.0.1.mapper.weight"], x => Assert.Equal(0f, x));
        var embedding = s["embedding.1.weight"];
        Assert.True(embedding.Max(Math.Abs) <= 0.02 * Math.Sqrt(6.0 / (16 + 8)));
        // The upsamplers' ConvTranspose2d keeps torch's default: non-zero bias within 1/√fan_in.
        var bias = s["up_blocks.0.3.1.bias"];
        Assert.Contains(bias, x => x != 0);
        Assert.True(bias.Max(Math.Abs) <= 1 / Math.Sqrt(24 * 4));
        Assert.All(s["up_blocks.0.0.channelwise.0.bias"], x => Assert.Equal(0f, x));

        // clf.1 = 0 gives a = 0 and b = sigmoid(0)·(1 − 2e-3) + 1e-3 = 0.5: ε̂ = 2x.
        using var x = new TorchGenerator(1).Randn(1, 4, 16, 16);
        using var r = Tensor.FromArray([0.5f], 1);
        using var effnet = new TorchGenerator(2).Randn(1, 8, 2, 2);
        using var clip = new TorchGenerator(3).Randn(1, 4, 20);
        using var _ = Tape.NoGrad();
        using var y = decoder.Forward(x, r, effnet, clip);
        var xs = x.ToArray(); var ys = y.ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(2 * xs[i], ys[i], 5);
    }

    [Fact]
    public void VqGanAndClipTextInitialisations()
    {
        var vqConfig = PaellaVQConfig.Load(Reference.Path_("tiny-wuerstchen", "vqgan"));
        using var vq = VqGanInit.Create(vqConfig, seed: 5);
        var v = State(vq);
        Assert.True(v[VqGanInit.CodebookKey].Max(Math.Abs) <= 1.0 / 64);
        Assert.All(v.Where(kv => kv.Key.EndsWith(".gammas")), kv => Assert.All(kv.Value, x => Assert.Equal(0f, x)));
        Assert.All(v.Single(kv => kv.Key.EndsWith("running_var")).Value, x => Assert.Equal(1f, x));

        var clipConfig = new ClipTextConfig(VocabSize: 1000, HiddenSize: 64, IntermediateSize: 256, NumAttentionHeads: 4, NumHiddenLayers: 2,
            MaxPositionEmbeddings: 77, HiddenAct: "gelu", LayerNormEps: 1e-5f);
        using var clip = ClipTextInit.Create(clipConfig, seed: 6);
        var t = State(clip);
        Assert.Equal(0.02, Std(t["text_model.embeddings.token_embedding.weight"]), 3);
        Assert.Equal(Math.Pow(64, -0.5) * Math.Pow(4, -0.5), Std(t["text_model.encoder.layers.0.self_attn.q_proj.weight"]), 2);
        Assert.Equal(Math.Pow(128, -0.5), Std(t["text_model.encoder.layers.1.mlp.fc1.weight"]), 2);
        Assert.All(t["text_model.final_layer_norm.weight"], x => Assert.Equal(1f, x));
        Assert.All(t["text_model.encoder.layers.0.mlp.fc1.bias"], x => Assert.Equal(0f, x));
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndAnotherSeedOthers()
    {
        using var a = PriorInit.Create(Prior, seed: 1);
        using var b = PriorInit.Create(Prior, seed: 1);
        using var c = PriorInit.Create(Prior, seed: 2);
        var sa = State(a);
        Assert.All(State(b), kv => Assert.Equal(sa[kv.Key], kv.Value));
        Assert.NotEqual(sa["blocks.0.depthwise.weight"], State(c)["blocks.0.depthwise.weight"]);
    }
}
