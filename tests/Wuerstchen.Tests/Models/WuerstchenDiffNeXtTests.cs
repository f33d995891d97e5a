using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models;

public class WuerstchenDiffNeXtTests
{
    // vectors/README.md: decoder forward with double r_embed 2e-4 / 1e-4; effnet interpolation 1e-5 / 1e-5.
    private static ReferenceVectors Vectors()
    {
        var v = new ReferenceVectors("decoder.safetensors", 2e-4, 1e-4).Tolerance("r_embed", 1e-6, 1e-6);
        for (int i = 0; i < 4; i++) v.Tolerance($"effnet_interp.level{i}", 1e-5, 1e-5);
        return v;
    }

    [Fact]
    public void Forward_MatchesReferenceOutputAndEveryIntermediate()
    {
        using var v = Vectors();
        using var decoder = WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder);
        using var x = v.Read("x");
        using var r = v.Read("r");
        using var effnet = v.Read("effnet");
        using var clip = v.Read("clip");
        using var output = decoder.Forward(x, r, effnet, clip, v.Trace);
        v.AssertClose("output", output);
        // Level 0 has no effnet injection in this config, so its resize is never computed.
        v.AssertCompared([
            "r_embed", "clip_mapped", "embedding_out", "up_out", "out_a", "out_b",
            .. Enumerable.Range(0, 4).Select(i => $"down_level{i}.out"),
            .. Enumerable.Range(1, 3).Select(i => $"effnet_interp.level{i}"),
            .. Enumerable.Range(1, 3).Select(i => $"effnet_mapped.down_level{i}"),
            .. Enumerable.Range(1, 3).Select(i => $"effnet_mapped.up_level{i}")]);
    }

    [Fact]
    public void InferenceForm_FoldedMappersAndPreparedCondition_MatchesReferenceAndThePlainModel()
    {
        // The pipeline's form: each effnet mapper folded into the ResBlocks it feeds, the text condition prepared
        // once. Same function, other rounding.
        using var v = Vectors();
        using var folded = WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder, foldEffnetMappers: true);
        using var plain = WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder);
        Assert.True(folded.FoldsEffnetMappers);
        using var x = v.Read("x");
        using var r = v.Read("r");
        using var effnet = v.Read("effnet");
        using var clip = v.Read("clip");
        using var condition = folded.PrepareCondition(clip);
        using var output = folded.Forward(x, r, effnet, condition, v.Trace);
        v.AssertClose("output", output);
        v.AssertCompared([
            "r_embed", "clip_mapped", "embedding_out", "up_out", "out_a", "out_b",
            .. Enumerable.Range(0, 4).Select(i => $"down_level{i}.out"),
            .. Enumerable.Range(1, 3).Select(i => $"effnet_interp.level{i}")]);
        using var expected = plain.Forward(x, r, effnet, clip);
        TensorAssert.Close(expected, output, 2e-5, 2e-5, "folded vs plain decoder");

        // The prepared condition, reused for another step (other x and r), gives what the plain forward gives.
        using var x2 = Ops.Mul(x, -0.5f);
        using var r2 = Ops.Mul(r, 0.25f);
        using var once = folded.Forward(x2, r2, effnet, clip);
        using var reused = folded.Forward(x2, r2, effnet, condition);
        TensorAssert.Close(once, reused, 1e-6, 1e-6);
        Assert.Throws<Xunit.Sdk.TrueException>(() => TensorAssert.Close(output, reused, 1e-3, 1e-3));
        using var x1 = x.Narrow(0, 0, 1);
        using var r1 = r.Narrow(0, 0, 1);
        using var effnet1 = effnet.Narrow(0, 0, 1);
        Assert.Contains("the prepared condition has batch", Assert.Throws<ArgumentException>(() => folded.Forward(x1, r1, effnet1, condition)).Message);
        // Same state dict: folding changes no stored weight.
        Assert.Equal(plain.StateDict().Select(kv => kv.Key).Order(StringComparer.Ordinal),
            folded.StateDict().Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FoldedEffnetMappers_RefuseWritableLoads()
    {
        var e = Assert.Throws<ArgumentException>(() => WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder, writable: true, foldEffnetMappers: true));
        Assert.Contains("inference", e.Message);
    }

    [Fact]
    public void Forward_RejectsLatentSizesTheUNetCannotRoundTrip()
    {
        using var decoder = WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder);
        Assert.Equal(16, decoder.SizeMultiple);   // patch 2 × three downsamplings
        using var x = Tensor.Zeros(1, 4, 24, 64);
        using var r = Tensor.Zeros(1);
        using var effnet = Tensor.Zeros(1, 8, 3, 6);
        using var clip = Tensor.Zeros(1, 77, 20);
        var e = Assert.Throws<ArgumentException>(() => decoder.Forward(x, r, effnet, clip));
        Assert.Contains("multiples of 16", e.Message);
    }
}
