using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch conv2d (groups 1, zero padding) applied to channels-last data: x[B, H, W, C], weight [O, C, kH, kW]
    /// (torch layout), bias [O] → y[B, OH, OW, O]; equal to ToChannelsLast(Conv2d(ToChannelsFirst(x), …)) up to
    /// the order of the sum. Under a recording tape it is computed by exactly that composition, so gradients flow
    /// through the existing differentiable ops.
    /// </summary>
    public static unsafe Tensor Conv2dChannelsLast(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0)
    {
        const string op = "Conv2dChannelsLast";
        RequireRank(x, 4, op, "input", "[B, H, W, C]");
        RequireRank(weight, 4, op, "weight", "[O, C, kH, kW]");
        CheckConvArguments(op, (stride, stride), (padding, padding), (1, 1), 1);
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        int o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (weight.Shape[1] != c)
            throw new ArgumentException($"{op}: weight {Show(weight)} does not fit input {Show(x)} ({c} channels).");
        RequireVector(bias, o, op, "bias");
        if (Tape.ShouldRecord(x, weight, bias))
        {
            using var nchw = ToChannelsFirst(x);
            using var y0 = Conv2d(nchw, weight, bias, stride: (stride, stride), padding: (padding, padding));
            return ToChannelsLast(y0);
        }
        if (h + 2 * padding - kh < 0 || w + 2 * padding - kw < 0)
            throw new ArgumentException($"{op}: kernel {kh}×{kw} is larger than the padded input {Show(x)} (padding {padding}).");
        int oh = (h + 2 * padding - kh) / stride + 1, ow = (w + 2 * padding - kw) / stride + 1;
        var g = new ConvGeometry(n, c, h, w, o, kh, kw, stride, stride, padding, padding, 1, 1, 1, oh, ow);
        using var xs = Dense.Of(x);
        using var ws = Dense.Of(weight);
        using var bs = Dense.Of(bias);
        var y = Tensor.Empty(n, oh, ow, o);
        if (y.Numel > 0) Kernels.Conv2dChannelsLast.Forward(g, xs.Data, ws.Data, bs.Data, y.Data);
        return y;
    }
}
