using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public enum PadMode { Zeros, Replicate }

public static partial class Ops
{
    /// <summary>
    /// torch conv2d on NCHW; weight [O, C/groups, kH, kW]; stride and dilation default to 1 (a default tuple means 1).
    /// Fast paths: 1×1 (GEMM), depthwise (groups = C = O).
    /// </summary>
    public static unsafe Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride = default, (int H, int W) padding = default, (int H, int W) dilation = default, int groups = 1)
    {
        const string op = "Conv2d";
        RequireRank(x, 4, op, "input", "NCHW");
        RequireRank(weight, 4, op, "weight", "[O, C/groups, kH, kW]");
        stride = OneIfDefault(stride); dilation = OneIfDefault(dilation);
        CheckConvArguments(op, stride, padding, dilation, groups);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (c % groups != 0 || o % groups != 0 || weight.Shape[1] * groups != c)
            throw new ArgumentException($"{op}: weight {Show(weight)} with groups = {groups} does not fit input {Show(x)} ({c} channels).");
        RequireVector(bias, o, op, "bias");
        int oh = (h + 2 * padding.H - dilation.H * (kh - 1) - 1) / stride.H + 1;
        int ow = (w + 2 * padding.W - dilation.W * (kw - 1) - 1) / stride.W + 1;
        if (h + 2 * padding.H - dilation.H * (kh - 1) - 1 < 0 || w + 2 * padding.W - dilation.W * (kw - 1) - 1 < 0)
            throw new ArgumentException($"{op}: kernel {kh}×{kw} (dilation {dilation}) is larger than the padded input {Show(x)} (padding {padding}).");
        var g = new ConvGeometry(n, c, h, w, o, kh, kw, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups, oh, ow);
        using var xs = Dense.Of(x);
        using var ws = Dense.Of(weight);
        using var bs = Dense.Of(bias);
        var y = Tensor.Empty(n, o, oh, ow);
        if (y.Numel > 0) Kernels.Conv2d.Forward(g, xs.Data, ws.Data, bs.Data, y.Data);
        return Recorder.Conv2d(y, x, weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>torch conv_transpose2d on NCHW; weight [C, O/groups, kH, kW]; stride and dilation default to 1.</summary>
    public static unsafe Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias,
        (int H, int W) stride = default, (int H, int W) padding = default, (int H, int W) outputPadding = default,
        (int H, int W) dilation = default, int groups = 1)
    {
        const string op = "ConvTranspose2d";
        RequireRank(x, 4, op, "input", "NCHW");
        RequireRank(weight, 4, op, "weight", "[C, O/groups, kH, kW]");
        stride = OneIfDefault(stride); dilation = OneIfDefault(dilation);
        CheckConvArguments(op, stride, padding, dilation, groups);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int kh = weight.Shape[2], kw = weight.Shape[3];
        if (weight.Shape[0] != c || c % groups != 0)
            throw new ArgumentException($"{op}: weight {Show(weight)} with groups = {groups} does not fit input {Show(x)} ({c} channels).");
        int o = weight.Shape[1] * groups;
        RequireVector(bias, o, op, "bias");
        if (outputPadding.H < 0 || outputPadding.W < 0 ||
            (outputPadding.H >= stride.H && outputPadding.H >= dilation.H) || (outputPadding.W >= stride.W && outputPadding.W >= dilation.W))
            throw new ArgumentException($"{op}: output padding {outputPadding} must be smaller than the stride {stride} or the dilation {dilation}.");
        int oh = (h - 1) * stride.H - 2 * padding.H + dilation.H * (kh - 1) + outputPadding.H + 1;
        int ow = (w - 1) * stride.W - 2 * padding.W + dilation.W * (kw - 1) + outputPadding.W + 1;
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: output size {oh}×{ow} for input {Show(x)} is not positive (padding {padding}).");
        var g = new ConvGeometry(n, c, h, w, o, kh, kw, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups, oh, ow);
        using var xs = Dense.Of(x);
        using var ws = Dense.Of(weight);
        using var bs = Dense.Of(bias);
        var y = Tensor.Empty(n, o, oh, ow);
        if (y.Numel > 0) Kernels.ConvTranspose2d.Forward(g, xs.Data, ws.Data, bs.Data, y.Data);
        return Recorder.ConvTranspose2d(y, x, weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>
    /// Depthwise conv (stride 1) on channels-last x[B, H, W, C] with a torch depthwise weight [C, 1, k, k]:
    /// y[B, H + 2p − k + 1, W + 2p − k + 1, C]. <paramref name="mode"/> selects zero or replicate padding.
    /// </summary>
    public static unsafe Tensor DepthwiseConv2dChannelsLast(Tensor x, Tensor weight, Tensor? bias, int padding, PadMode mode = PadMode.Zeros)
    {
        const string op = "DepthwiseConv2dChannelsLast";
        RequireRank(x, 4, op, "input", "[B, H, W, C]");
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        if (weight.Rank != 4 || weight.Shape[0] != c || weight.Shape[1] != 1 || weight.Shape[2] != weight.Shape[3])
            throw new ArgumentException($"{op}: weight must be [{c}, 1, k, k] for input {Show(x)}, got {Show(weight)}.");
        RequireVector(bias, c, op, "bias");
        int k = weight.Shape[2];
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding {padding} is negative.");
        if (mode == PadMode.Replicate && padding > 0 && (h == 0 || w == 0))
            throw new ArgumentException($"{op}: replicate padding needs a non-empty input, got {Show(x)}.");
        int oh = h + 2 * padding - k + 1, ow = w + 2 * padding - k + 1;
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"{op}: kernel {k}×{k} is larger than the padded input {Show(x)} (padding {padding}).");
        using var xs = Dense.Of(x);
        using var ws = Dense.Of(weight);
        using var bs = Dense.Of(bias);
        var y = Tensor.Empty(b, oh, ow, c);
        DepthwiseConv.ChannelsLast(xs.Data, b, h, w, c, ws.Data, k, bs.Data, padding, mode == PadMode.Replicate, y.Data);
        return Recorder.DepthwiseConv2dChannelsLast(y, x, weight, bias, padding, mode);
    }

    /// <summary>Pads the last two dims (torch F.pad order: left, right, top, bottom); negative pads crop.</summary>
    public static unsafe Tensor Pad2d(Tensor x, int left, int right, int top, int bottom, PadMode mode)
    {
        if (x.Rank < 2) throw new ArgumentException($"Pad2d: needs at least 2 dims, got {Show(x)}.");
        int h = x.Shape[^2], w = x.Shape[^1];
        int oh = h + top + bottom, ow = w + left + right;
        if (oh < 0 || ow < 0) throw new ArgumentException($"Pad2d: padding ({left}, {right}, {top}, {bottom}) crops {Show(x)} below zero size.");
        if (mode == PadMode.Replicate && (h == 0 || w == 0) && (oh > 0 && ow > 0))
            throw new ArgumentException($"Pad2d: replicate padding needs a non-empty input, got {Show(x)}.");
        var shape = x.Shape.ToArray();
        shape[^2] = oh; shape[^1] = ow;
        var y = Tensor.Empty(shape);
        if (y.Numel == 0) return y;
        using var xs = Dense.Of(x);
        Padding.Pad2d(xs.Data, x.Numel / Math.Max(1L, (long)h * w), h, w, left, top, y.Data, oh, ow, mode == PadMode.Replicate);
        return Recorder.Pad2d(y, x, left, right, top, bottom, mode);
    }

    private static (int H, int W) OneIfDefault((int H, int W) v) => v == default ? (1, 1) : v;

    private static void CheckConvArguments(string op, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        if (stride.H < 1 || stride.W < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride {stride} must be positive.");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation {dilation} must be positive.");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: padding {padding} is negative.");
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), $"{op}: groups {groups} must be positive.");
    }

    private static void RequireRank(Tensor t, int rank, string op, string what, string layout)
    {
        if (t.Rank != rank) throw new ArgumentException($"{op}: {what} must be {layout}, got {Show(t)}.");
    }
}
