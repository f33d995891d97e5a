using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = conv2d(x, w, b) on NCHW (any stride/padding/dilation/groups, incl. depthwise).</summary>
    public static Tensor Conv2d(Tensor y, Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        var k = ConvShape.Of(x.Shape, weight.Shape, ConvShape.OrOne(stride), padding, ConvShape.OrOne(dilation), groups);
        if (k.Ho != y.Shape[2] || k.Wo != y.Shape[3])
            throw new ArgumentException($"Conv2d backward: output {y} does not match the geometry of input {x} and weight {weight}.");
        Tape.Record(y, "Conv2d", [x, weight, bias],
            [Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null], k,
            static (g, n, k) => [
                n.NeedsGrad(0) ? ConvBackward.InputGrad(g, n.Saved(1), k) : null,
                n.NeedsGrad(1) ? ConvBackward.WeightGrad(n.Saved(0), g, k) : null,
                n.NeedsGrad(2) ? ConvBackward.BiasGrad(g, n.InputShape(2)) : null]);
        return y;
    }

    /// <summary>
    /// y = conv_transpose2d(x, w, b), w [C, O/groups, kH, kW]. A transposed convolution is the input-gradient of
    /// the convolution from y's shape to x's with the same weight, so ∂x is that convolution applied to g and
    /// ∂w its weight gradient with the roles of input and output swapped.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor y, Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        var k = ConvShape.Of(y.Shape, weight.Shape, ConvShape.OrOne(stride), padding, ConvShape.OrOne(dilation), groups);
        if (k.Ho != x.Shape[2] || k.Wo != x.Shape[3] || k.O != x.Shape[1])
            throw new ArgumentException($"ConvTranspose2d backward: output {y} does not match the geometry of input {x} and weight {weight}.");
        Tape.Record(y, "ConvTranspose2d", [x, weight, bias],
            [Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null], k,
            static (g, n, k) => [
                n.NeedsGrad(0) ? ConvBackward.Forward(g, n.Saved(1), k) : null,
                n.NeedsGrad(1) ? ConvBackward.WeightGrad(g, n.Saved(0), k) : null,
                n.NeedsGrad(2) ? ConvBackward.BiasGrad(g, n.InputShape(2)) : null]);
        return y;
    }

    /// <summary>
    /// y = depthwise conv (stride 1) on channels-last x [B, H, W, C] with weight [C, 1, k, k], padding p of
    /// <paramref name="mode"/> (zeros or replicate): y [B, H + 2p − k + 1, W + 2p − k + 1, C].
    /// </summary>
    public static Tensor DepthwiseConv2dChannelsLast(Tensor y, Tensor x, Tensor weight, Tensor? bias, int padding, PadMode mode)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        Tape.Record(y, "DepthwiseConv2dChannelsLast", [x, weight, bias],
            [Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null], (padding, mode),
            static (g, n, p) => [
                n.NeedsGrad(0) ? ConvBackward.DepthwiseChannelsLastInput(g, n.Saved(1), n.InputShape(0), p.padding, p.mode) : null,
                n.NeedsGrad(1) ? ConvBackward.DepthwiseChannelsLastWeight(g, n.Saved(0), n.InputShape(1), p.padding, p.mode) : null,
                n.NeedsGrad(2) ? NormBackward.ColumnSum(g, (int)(g.Numel / g.Shape[^1]), g.Shape[^1], n.InputShape(2)) : null]);
        return y;
    }

    /// <summary>y = F.pad(x, (left, right, top, bottom), mode) on the last two dims.</summary>
    public static Tensor Pad2d(Tensor y, Tensor x, int left, int right, int top, int bottom, PadMode mode)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Pad2d", [x], [], (left, top, mode), static (g, n, p) => [ConvBackward.Pad2dGrad(g, n.InputShape(0), p.left, p.top, p.mode)]);
        return y;
    }
}
