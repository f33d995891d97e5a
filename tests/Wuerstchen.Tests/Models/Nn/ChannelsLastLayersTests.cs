using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models.Nn;

/// <summary>
/// The channels-last layers against the NCHW torch-semantics ops they stand in for (conv2d, conv_transpose2d,
/// LayerNorm2d), with the same stored weights.
/// </summary>
public class ChannelsLastLayersTests
{
    private static Tensor RandomInput(ulong seed, params int[] shape)
    {
        using var ws = WeightSource.Random(seed);
        using var t = ws.Get("input", shape);   // uniform in ±1/√fan_in; rescaled to O(1)
        return Ops.Mul(t, MathF.Sqrt(t.Numel / shape[0]));
    }

    /// <summary>Compares a channels-last result with an NCHW reference.</summary>
    private static void AssertSameAsNchw(Tensor expectedNchw, Tensor actualNhwc, string what)
    {
        using var actual = Ops.ToChannelsFirst(actualNhwc);
        TensorAssert.Close(expectedNchw, actual, 1e-5, 1e-5, what);
    }

    [Fact]
    public void PointwiseConv_EqualsA1x1Conv2d()
    {
        using var ws = WeightSource.Random(11);
        using var conv = new PointwiseConv(ws.Scope("p"), 6, 10);
        using var weight = ws.Get("p.weight", 10, 6, 1, 1);
        using var bias = ws.Get("p.bias", 10);
        using var x = RandomInput(1, 2, 6, 5, 7);
        using var expected = Ops.Conv2d(x, weight, bias, (1, 1), (0, 0), (1, 1));
        using var xLast = Ops.ToChannelsLast(x);
        using var actual = conv.Forward(xLast);
        AssertSameAsNchw(expected, actual, "1x1 conv");
    }

    [Theory]
    [InlineData(PadMode.Zeros)]
    [InlineData(PadMode.Replicate)]
    public void DepthwiseConv_EqualsAGroupedConv2dWithThatPadding(PadMode mode)
    {
        using var ws = WeightSource.Random(12);
        using var conv = new DepthwiseConv(ws.Scope("d"), 6, 3, mode);
        using var weight = ws.Get("d.weight", 6, 1, 3, 3);
        using var bias = ws.Get("d.bias", 6);
        using var x = RandomInput(2, 2, 6, 5, 7);
        using var padded = Ops.Pad2d(x, 1, 1, 1, 1, mode);
        using var expected = Ops.Conv2d(padded, weight, bias, (1, 1), (0, 0), (1, 1), groups: 6);
        using var xLast = Ops.ToChannelsLast(x);
        using var actual = conv.Forward(xLast);
        AssertSameAsNchw(expected, actual, $"depthwise conv, {mode} padding");
    }

    [Fact]
    public void Downsample2x_EqualsLayerNorm2dThenStride2Conv()
    {
        using var ws = WeightSource.Random(13);
        using var down = new Downsample2x(ws.Scope("down"), 6, 10);
        using var weight = ws.Get("down.1.weight", 10, 6, 2, 2);
        using var bias = ws.Get("down.1.bias", 10);
        using var x = RandomInput(3, 2, 6, 4, 8);
        using var normed = Ops.LayerNorm2d(x, 1e-6f);
        using var expected = Ops.Conv2d(normed, weight, bias, (2, 2), (0, 0), (1, 1));
        using var xLast = Ops.ToChannelsLast(x);
        using var actual = down.Forward(xLast);
        AssertSameAsNchw(expected, actual, "downsample");
    }

    [Fact]
    public void Upsample2x_EqualsLayerNorm2dThenStride2TransposedConv()
    {
        using var ws = WeightSource.Random(14);
        using var up = new Upsample2x(ws.Scope("up"), 10, 6);
        using var weight = ws.Get("up.1.weight", 10, 6, 2, 2);
        using var bias = ws.Get("up.1.bias", 6);
        using var x = RandomInput(4, 2, 10, 3, 5);
        using var normed = Ops.LayerNorm2d(x, 1e-6f);
        using var expected = Ops.ConvTranspose2d(normed, weight, bias, (2, 2), (0, 0), (0, 0), (1, 1));
        using var xLast = Ops.ToChannelsLast(x);
        using var actual = up.Forward(xLast);
        AssertSameAsNchw(expected, actual, "upsample");
    }
}
