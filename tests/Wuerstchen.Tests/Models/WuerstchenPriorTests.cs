using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models;

public class WuerstchenPriorTests
{
    // vectors/README.md: prior forward with double r_embed, float32 implementation: 1e-4 / 1e-4.
    private static ReferenceVectors Vectors() => new ReferenceVectors("prior.safetensors", 1e-4, 1e-4).Tolerance("r_embed", 1e-6, 1e-6);

    [Fact]
    public void Forward_MatchesReferenceOutputAndEveryIntermediate()
    {
        using var v = Vectors();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var x = v.Read("x");
        using var r = v.Read("r");
        using var c = v.Read("c");
        using var output = prior.Forward(x, r, c, v.Trace);
        v.AssertClose("output", output);
        v.AssertCompared(["projection_out", "c_embed", "r_embed", "out_a", "out_b", .. Enumerable.Range(0, 6).Select(k => $"blocks.{k}.out")]);
    }

    [Fact]
    public void Forward_WithPreparedCondition_MatchesReferenceAndThePlainForwardAtEveryStep()
    {
        using var v = Vectors();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var x = v.Read("x");
        using var r = v.Read("r");
        using var c = v.Read("c");
        using var condition = prior.PrepareCondition(c);
        using var output = prior.Forward(x, r, condition, v.Trace);
        v.AssertClose("output", output);
        v.AssertCompared(["projection_out", "c_embed", "r_embed", "out_a", "out_b", .. Enumerable.Range(0, 6).Select(k => $"blocks.{k}.out")]);

        // Reused for another step (other x and r), it still gives what the plain forward gives.
        using var x2 = Ops.Mul(x, -0.5f);
        using var r2 = Ops.Mul(r, 0.25f);
        using var plain = prior.Forward(x2, r2, c);
        using var prepared = prior.Forward(x2, r2, condition);
        TensorAssert.Close(plain, prepared, 1e-6, 1e-6);
        Assert.Throws<Xunit.Sdk.TrueException>(() => TensorAssert.Close(output, prepared, 1e-3, 1e-3));

        using var x1 = x.Narrow(0, 0, 1);
        using var r1 = r.Narrow(0, 0, 1);
        Assert.Contains("the prepared condition has batch", Assert.Throws<ArgumentException>(() => prior.Forward(x1, r1, condition)).Message);
    }

    [Theory]
    [InlineData("fp16", "output_fp16_weights")]
    [InlineData("bf16", "output_bf16_weights")]
    public void Forward_WithHalfPrecisionWeightVariants_MatchesReference(string variant, string expectedName)
    {
        using var v = Vectors();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior, variant);
        using var x = v.Read("x");
        using var r = v.Read("r");
        using var c = v.Read("c");
        using var output = prior.Forward(x, r, c);
        v.AssertClose(expectedName, output);
        // The variant must really have been used: its output is far from the float32 weights' output.
        using var f32Output = v.Read("output");
        Assert.Throws<Xunit.Sdk.TrueException>(() => TensorAssert.Close(f32Output, output, 1e-4, 1e-4));
    }

    [Fact]
    public void Forward_RejectsMismatchedInputs()
    {
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var x = Tensor.Zeros(2, 8, 3, 6);
        using var r = Tensor.Zeros(2);
        using var badC = Tensor.Zeros(2, 77, 20);
        Assert.Contains("c must be [2, L, 24]", Assert.Throws<ArgumentException>(() => prior.Forward(x, r, badC)).Message);
        using var c = Tensor.Zeros(2, 77, 24);
        using var badR = Tensor.Zeros(3);
        Assert.Contains("r must be [2]", Assert.Throws<ArgumentException>(() => prior.Forward(x, badR, c)).Message);
        using var badX = Tensor.Zeros(2, 4, 3, 6);
        Assert.Contains("x must be [B, 8, h, w]", Assert.Throws<ArgumentException>(() => prior.Forward(badX, r, c)).Message);
    }
}
