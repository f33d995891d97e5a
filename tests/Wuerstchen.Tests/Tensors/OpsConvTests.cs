using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsConvTests
{
    /// <summary>Direct double-precision conv2d (torch semantics, zero padding).</summary>
    private static float[] ConvReference(Tensor x, Tensor w, Tensor? b, (int H, int W) s, (int H, int W) p, (int H, int W) d, int groups,
        out int[] shape)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int o = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3], cg = c / groups, og = o / groups;
        int oh = (h + 2 * p.H - d.H * (kh - 1) - 1) / s.H + 1, ow = (wd + 2 * p.W - d.W * (kw - 1) - 1) / s.W + 1;
        shape = [n, o, oh, ow];
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b?.ToArray();
        var y = new float[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double acc = bv?[oi] ?? 0;
                        int grp = oi / og;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = oy * s.H - p.H + ky * d.H, ix = ox * s.W - p.W + kx * d.W;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    acc += (double)wv[((oi * cg + ci) * kh + ky) * kw + kx] * xv[((ni * c + grp * cg + ci) * h + iy) * wd + ix];
                                }
                        y[((ni * o + oi) * oh + oy) * ow + ox] = (float)acc;
                    }
        return y;
    }

    public static TheoryData<int[], int[], int, int, int, int, int> ConvCases => new()
    {
        // input [n,c,h,w], weight [o, c/g, kh, kw], stride, padding, dilation (square), groups, strided input (0/1)
        { [2, 6, 5, 7], [4, 6, 1, 1], 1, 0, 1, 1, 0 },     // pointwise GEMM
        { [2, 6, 5, 7], [4, 3, 1, 1], 1, 0, 1, 2, 1 },     // grouped pointwise
        { [2, 5, 9, 11], [5, 1, 3, 3], 1, 1, 1, 5, 0 },    // depthwise 3×3 (Würstchen ResBlock)
        { [1, 4, 9, 10], [4, 1, 3, 3], 2, 1, 1, 4, 1 },    // depthwise, stride 2
        { [1, 3, 9, 10], [3, 1, 5, 5], 1, 4, 2, 3, 0 },    // depthwise, dilation 2, wide padding
        { [2, 3, 8, 12], [5, 3, 2, 2], 2, 0, 1, 1, 0 },    // k2 s2 downsampler
        { [1, 4, 10, 8], [6, 4, 4, 4], 2, 1, 1, 1, 1 },    // k4 s2 p1 (Stage A)
        { [2, 4, 7, 9], [6, 2, 3, 3], 2, 1, 2, 2, 0 },     // grouped, strided, dilated
        { [1, 3, 6, 5], [2, 3, 3, 2], 1, 0, 1, 1, 0 },     // non-square kernel
        { [1, 2, 4, 4], [3, 2, 1, 1], 2, 1, 1, 1, 0 },     // 1×1 with stride and padding: general path
        { [1, 3, 40, 41], [4, 3, 3, 3], 1, 1, 1, 1, 0 },   // several column tiles? (exercises the tiling loop bounds)
    };

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2dMatchesDirectDoubleConvolution(int[] xs, int[] ws, int stride, int pad, int dil, int groups, int strided)
    {
        var x = strided == 1 ? RandomStrided(60, xs) : Random(60, xs);
        using var w = Random(61, ws);
        using var b = Random(62, [ws[0]]);
        foreach (var bias in new[] { b, null })
        {
            using var y = Ops.Conv2d(x, w, bias, (stride, stride), (pad, pad), (dil, dil), groups);
            var expected = ConvReference(x, w, bias, (stride, stride), (pad, pad), (dil, dil), groups, out var shape);
            Assert.Equal(shape, y.Shape.ToArray());
            TensorAssert.Close(expected, y.ToArray(), 2e-5, 2e-5, "conv2d");
        }
    }

    [Fact]
    public void Conv2dTilesLargeColumnMatrices()
    {
        // k = 36 rows, 2^22/36 = 116508 pixels per tile; 1 × 4 × 350 × 350 output has 122500 pixels → two tiles.
        using var x = Random(63, [1, 4, 350, 350], -1f, 1f);
        using var w = Random(64, [1, 4, 3, 3]);
        using var y = Ops.Conv2d(x, w, null, padding: (1, 1));
        var expected = ConvReference(x, w, null, (1, 1), (1, 1), (1, 1), 1, out _);
        TensorAssert.Close(expected, y.ToArray(), 1e-5, 1e-5, "tiled conv2d");
    }

    [Fact]
    public void Conv2dNamesBadShapes()
    {
        using var x = Tensor.Zeros(1, 4, 5, 5);
        using var w = Tensor.Zeros(2, 3, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, w, null));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains("[2, 3, 3, 3]", e.Message);
        using var big = Tensor.Zeros(2, 4, 7, 7);
        Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, big, null));
        using var bias = Tensor.Zeros(3);
        using var w2 = Tensor.Zeros(2, 4, 3, 3);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() => Ops.Conv2d(x, w2, bias)).Message);
    }

    private static float[] ConvTransposeReference(Tensor x, Tensor w, Tensor? b, int s, int p, int op, int d, int groups, out int[] shape)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int og = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], o = og * groups, cg = c / groups;
        int oh = (h - 1) * s - 2 * p + d * (kh - 1) + op + 1, ow = (wd - 1) * s - 2 * p + d * (kw - 1) + op + 1;
        shape = [n, o, oh, ow];
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b?.ToArray();
        var acc = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int i = 0; i < oh * ow; i++) acc[(ni * o + oi) * oh * ow + i] = bv?[oi] ?? 0;
        for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < c; ci++)
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < wd; ix++)
                        for (int oj = 0; oj < og; oj++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int oy = iy * s - p + ky * d, ox = ix * s - p + kx * d;
                                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                    int oi = ci / cg * og + oj;
                                    acc[((ni * o + oi) * oh + oy) * ow + ox] +=
                                        (double)xv[((ni * c + ci) * h + iy) * wd + ix] * wv[((ci * og + oj) * kh + ky) * kw + kx];
                                }
        return acc.Select(v => (float)v).ToArray();
    }

    [Theory]
    [InlineData(new[] { 2, 4, 3, 5 }, new[] { 4, 3, 2, 2 }, 2, 0, 0, 1, 1)]   // k2 s2 (Stage B up-sampler)
    [InlineData(new[] { 1, 6, 4, 3 }, new[] { 6, 5, 4, 4 }, 2, 1, 0, 1, 1)]   // k4 s2 p1 (Stage A)
    [InlineData(new[] { 1, 4, 5, 4 }, new[] { 4, 2, 3, 3 }, 2, 1, 1, 1, 2)]   // grouped, output padding
    [InlineData(new[] { 2, 3, 4, 4 }, new[] { 3, 2, 3, 2 }, 1, 0, 0, 2, 1)]   // dilation, non-square kernel
    [InlineData(new[] { 1, 2, 6, 7 }, new[] { 2, 3, 3, 3 }, 3, 2, 2, 1, 1)]   // stride 3, output padding 2
    public void ConvTranspose2dMatchesDirectDoubleScatter(int[] xs, int[] ws, int s, int p, int op, int d, int groups)
    {
        var x = RandomStrided(65, xs);
        using var w = Random(66, ws);
        using var b = Random(67, [ws[1] * groups]);
        using var y = Ops.ConvTranspose2d(x, w, b, (s, s), (p, p), (op, op), (d, d), groups);
        var expected = ConvTransposeReference(x, w, b, s, p, op, d, groups, out var shape);
        Assert.Equal(shape, y.Shape.ToArray());
        TensorAssert.Close(expected, y.ToArray(), 2e-5, 2e-5, "conv_transpose2d");
    }

    [Fact]
    public void ConvTranspose2dRejectsTooLargeOutputPadding()
    {
        using var x = Tensor.Zeros(1, 2, 3, 3);
        using var w = Tensor.Zeros(2, 2, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.ConvTranspose2d(x, w, null, (2, 2), outputPadding: (2, 2)));
        Assert.Contains("output padding", e.Message);
    }

    private static float PadReference(float[] x, int h, int w, int plane, int oy, int ox, int left, int top, bool replicate)
    {
        int iy = oy - top, ix = ox - left;
        if (replicate) { iy = Math.Clamp(iy, 0, h - 1); ix = Math.Clamp(ix, 0, w - 1); }
        else if (iy < 0 || iy >= h || ix < 0 || ix >= w) return 0f;
        return x[(plane * h + iy) * w + ix];
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(0, 3, 2, 0)]
    [InlineData(-1, 2, 1, -2)]   // negative pads crop
    public void Pad2dZerosAndReplicate(int left, int right, int top, int bottom)
    {
        var x = RandomStrided(68, [2, 3, 5, 6]);
        var xv = x.ToArray();
        foreach (var mode in new[] { PadMode.Zeros, PadMode.Replicate })
        {
            using var y = Ops.Pad2d(x, left, right, top, bottom, mode);
            int oh = 5 + top + bottom, ow = 6 + left + right;
            Assert.Equal(new[] { 2, 3, oh, ow }, y.Shape.ToArray());
            var yv = y.ToArray();
            for (int pl = 0; pl < 6; pl++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        Assert.Equal(PadReference(xv, 5, 6, pl, oy, ox, left, top, mode == PadMode.Replicate), yv[(pl * oh + oy) * ow + ox]);
        }
    }

    [Theory]
    [InlineData(2, 5, 7, 37, 3, 1)]    // Würstchen ResBlock: 3×3, padding 1; channel tail after 2 full strips
    [InlineData(1, 4, 3, 80, 3, 1)]
    [InlineData(1, 6, 6, 5, 5, 2)]
    [InlineData(1, 4, 4, 16, 3, 0)]
    public void DepthwiseChannelsLastMatchesTheNchwConvolution(int b, int h, int w, int c, int k, int pad)
    {
        var x = RandomStrided(69, [b, h, w, c]);
        using var weight = Random(70, [c, 1, k, k]);
        using var bias = Random(71, [c]);
        using var nchw = Ops.ToChannelsFirst(x);
        // Zeros: torch Conv2d(padding=pad, groups=c). Replicate: ReplicationPad2d(pad) then Conv2d(padding=0), as Stage A.
        using var zeros = Ops.DepthwiseConv2dChannelsLast(x, weight, bias, pad, PadMode.Zeros);
        var expected = ConvReference(nchw, weight, bias, (1, 1), (pad, pad), (1, 1), c, out var shape);
        using (var e = Tensor.FromArray(expected, shape))
            TensorAssert.Close(e.Permute(0, 2, 3, 1).ToArray(), zeros.ToArray(), 2e-5, 2e-5, "zeros");
        using var replicate = Ops.DepthwiseConv2dChannelsLast(x, weight, bias, pad, PadMode.Replicate);
        using var padded = Ops.Pad2d(nchw, pad, pad, pad, pad, PadMode.Replicate);
        var expectedRep = ConvReference(padded, weight, bias, (1, 1), (0, 0), (1, 1), c, out shape);
        using (var e = Tensor.FromArray(expectedRep, shape))
            TensorAssert.Close(e.Permute(0, 2, 3, 1).ToArray(), replicate.ToArray(), 2e-5, 2e-5, "replicate");
    }
}
