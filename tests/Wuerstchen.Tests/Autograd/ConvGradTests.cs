using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of Conv2d (dense, grouped, dilated, strided, depthwise, 1×1), ConvTranspose2d and Pad2d vs float64 finite differences.</summary>
public class ConvGradTests
{
    private static int OutSize(int n, int k, int s, int p, int d) => (n + 2 * p - d * (k - 1) - 1) / s + 1;

    internal static Reference64 ConvRef(int[] xs, int[] ws, (int, int) st, (int, int) pad, (int, int) dil, int groups, bool bias)
    {
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0], Cg = ws[1], KH = ws[2], KW = ws[3], Og = O / groups;
        int Ho = OutSize(H, KH, st.Item1, pad.Item1, dil.Item1), Wo = OutSize(W, KW, st.Item2, pad.Item2, dil.Item2);
        return x =>
        {
            var y = new double[N * O * Ho * Wo];
            for (int n = 0; n < N; n++)
                for (int o = 0; o < O; o++)
                    for (int oh = 0; oh < Ho; oh++)
                        for (int ow = 0; ow < Wo; ow++)
                        {
                            double s = bias ? x[2][o] : 0;
                            int grp = o / Og;
                            for (int c = 0; c < Cg; c++)
                                for (int i = 0; i < KH; i++)
                                    for (int j = 0; j < KW; j++)
                                    {
                                        int ih = oh * st.Item1 - pad.Item1 + i * dil.Item1, iw = ow * st.Item2 - pad.Item2 + j * dil.Item2;
                                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                        s += x[1][((o * Cg + c) * KH + i) * KW + j] * x[0][((n * C + grp * Cg + c) * H + ih) * W + iw];
                                    }
                            y[((n * O + o) * Ho + oh) * Wo + ow] = s;
                        }
            return y;
        };
    }

    public static TheoryData<int[], int[], int, int, int, int, int, int, int> ConvCases => new()
    {
        // x shape, w shape, strideH, strideW, padH, padW, dilH, dilW, groups
        { [2, 3, 5, 6], [4, 3, 3, 3], 1, 1, 1, 1, 1, 1, 1 },   // 3×3 same
        { [1, 4, 6, 8], [5, 4, 2, 2], 2, 2, 0, 0, 1, 1, 1 },   // Würstchen down-sampler k2 s2
        { [2, 4, 7, 5], [6, 2, 3, 3], 1, 2, 2, 1, 2, 1, 2 },   // grouped, dilated, uneven stride/pad
        { [2, 3, 5, 5], [3, 1, 3, 3], 1, 1, 1, 1, 1, 1, 3 },   // depthwise, zero pad (Würstchen blocks)
        { [1, 3, 6, 7], [3, 1, 3, 3], 2, 1, 0, 0, 1, 1, 3 },   // depthwise, unpadded, strided (after replication pad)
        { [2, 2, 4, 4], [4, 1, 3, 3], 1, 1, 1, 1, 1, 1, 2 },   // depthwise with channel multiplier
        { [2, 5, 3, 4], [6, 5, 1, 1], 1, 1, 0, 0, 1, 1, 1 },   // 1×1 (GEMM path without im2col)
        { [1, 4, 9, 4], [2, 4, 4, 4], 2, 2, 1, 1, 1, 1, 1 },   // Stage A down conv k4 s2 p1
    };

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d(int[] xs, int[] ws, int sh, int sw, int ph, int pw, int dh, int dw, int groups)
    {
        var rng = new System.Random(xs.Sum() * 7 + ws.Sum());
        var x = Leaf(rng, xs);
        var w = Leaf(rng, ws);
        var b = Leaf(rng, [ws[0]]);
        var reference = ConvRef(xs, ws, (sh, sw), (ph, pw), (dh, dw), groups, true);
        int[] ys = [xs[0], ws[0], OutSize(xs[2], ws[2], sh, ph, dh), OutSize(xs[3], ws[3], sw, pw, dw)];
        Check($"Conv2d {string.Join('x', ws)} g{groups}", [x, w, b], t =>
        {
            var y = Rounded(reference, t, ys);
            Recorder.Conv2d(y, t[0], t[1], t[2], (sh, sw), (ph, pw), (dh, dw), groups);
            return y;
        }, reference);
    }

    [Fact]
    public void Conv2dDefaultsMeanStrideAndDilationOne()
    {
        var rng = new System.Random(3);
        var x = Leaf(rng, [1, 2, 4, 5]);
        var w = Leaf(rng, [3, 2, 3, 3]);
        var reference = ConvRef([1, 2, 4, 5], [3, 2, 3, 3], (1, 1), (1, 1), (1, 1), 1, false);
        Check("Conv2d defaults", [x, w], t =>
        {
            var y = Rounded(reference, t, 1, 3, 4, 5);
            Recorder.Conv2d(y, t[0], t[1], null, default, (1, 1), default, 1);
            return y;
        }, reference);
    }

    internal static Reference64 ConvTRef(int[] xs, int[] ws, int s, int p, int op, int d, int groups, bool bias, out int[] ys)
    {
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], Og = ws[1], KH = ws[2], KW = ws[3], Cg = C / groups, O = Og * groups;
        int Hy = (H - 1) * s - 2 * p + d * (KH - 1) + op + 1, Wy = (W - 1) * s - 2 * p + d * (KW - 1) + op + 1;
        ys = [N, O, Hy, Wy];
        return x =>
        {
            var y = new double[N * O * Hy * Wy];
            for (int n = 0; n < N; n++)
                for (int o = 0; o < O; o++)
                    for (int k = 0; k < Hy * Wy; k++) y[(n * O + o) * Hy * Wy + k] = bias ? x[2][o] : 0;
            for (int n = 0; n < N; n++)
                for (int c = 0; c < C; c++)
                    for (int ih = 0; ih < H; ih++)
                        for (int iw = 0; iw < W; iw++)
                            for (int oo = 0; oo < Og; oo++)
                                for (int i = 0; i < KH; i++)
                                    for (int j = 0; j < KW; j++)
                                    {
                                        int oh = ih * s - p + i * d, ow = iw * s - p + j * d;
                                        if (oh < 0 || oh >= Hy || ow < 0 || ow >= Wy) continue;
                                        int o = c / Cg * Og + oo;
                                        y[((n * O + o) * Hy + oh) * Wy + ow] += x[0][((n * C + c) * H + ih) * W + iw] * x[1][((c * Og + oo) * KH + i) * KW + j];
                                    }
            return y;
        };
    }

    public static TheoryData<int[], int[], int, int, int, int, int> ConvTCases => new()
    {
        // x shape, w shape, stride, pad, output padding, dilation, groups
        { [2, 4, 3, 3], [4, 3, 2, 2], 2, 0, 0, 1, 1 },   // Würstchen up-sampler k2 s2
        { [1, 3, 3, 4], [3, 2, 4, 4], 2, 1, 0, 1, 1 },   // Stage A up conv k4 s2 p1
        { [1, 4, 3, 3], [4, 3, 3, 3], 2, 1, 1, 1, 2 },   // grouped, output padding
        { [2, 2, 3, 2], [2, 2, 2, 3], 1, 0, 0, 2, 1 },   // dilated
    };

    [Theory, MemberData(nameof(ConvTCases))]
    public void ConvTranspose2d(int[] xs, int[] ws, int s, int p, int op, int d, int groups)
    {
        var rng = new System.Random(xs.Sum() * 5 + ws.Sum());
        var x = Leaf(rng, xs);
        var w = Leaf(rng, ws);
        var b = Leaf(rng, [ws[1] * groups]);
        var reference = ConvTRef(xs, ws, s, p, op, d, groups, true, out var ys);
        Check($"ConvTranspose2d {string.Join('x', ws)} s{s} p{p} op{op} d{d} g{groups}", [x, w, b], t =>
        {
            var y = Rounded(reference, t, ys);
            Recorder.ConvTranspose2d(y, t[0], t[1], t[2], (s, s), (p, p), (d, d), groups);
            return y;
        }, reference);
    }

    [Theory]
    [InlineData(PadMode.Zeros)]
    [InlineData(PadMode.Replicate)]
    public void Pad2d(PadMode mode)
    {
        var rng = new System.Random(4);
        int[] xs = [2, 3, 4, 5];
        int l = 1, r = 2, top = 2, bottom = 1, H = 4, W = 5, Hy = H + top + bottom, Wy = W + l + r;
        var x = Leaf(rng, xs);
        Reference64 reference = v =>
        {
            var y = new double[6 * Hy * Wy];
            for (int pl = 0; pl < 6; pl++)
                for (int h = 0; h < Hy; h++)
                    for (int w = 0; w < Wy; w++)
                    {
                        int ih = h - top, iw = w - l;
                        if (mode == PadMode.Replicate) { ih = Math.Clamp(ih, 0, H - 1); iw = Math.Clamp(iw, 0, W - 1); }
                        else if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        y[(pl * Hy + h) * Wy + w] = v[0][(pl * H + ih) * W + iw];
                    }
            return y;
        };
        Check($"Pad2d {mode}", [x], t =>
        {
            var y = Rounded(reference, t, 2, 3, Hy, Wy);
            Recorder.Pad2d(y, t[0], l, r, top, bottom, mode);
            return y;
        }, reference);
    }

    [Theory]
    [InlineData(PadMode.Zeros, 1, 3)]
    [InlineData(PadMode.Replicate, 1, 3)]
    [InlineData(PadMode.Zeros, 0, 2)]
    [InlineData(PadMode.Replicate, 2, 3)]
    [InlineData(PadMode.Zeros, 1, 3, 19)]
    [InlineData(PadMode.Replicate, 1, 3, 16)]
    public void DepthwiseChannelsLast(PadMode mode, int p, int k, int C = 3)
    {
        // C ≥ 8 runs the vector loops over channels (19: with a scalar tail).
        var rng = new System.Random(80 + p * 3 + k + C);
        int B = 2, H = 4, W = 5, Ho = H + 2 * p - k + 1, Wo = W + 2 * p - k + 1;
        var x = Leaf(rng, [B, H, W, C]);
        var w = Leaf(rng, [C, 1, k, k]);
        var b = Leaf(rng, [C]);
        Reference64 reference = v =>
        {
            var y = new double[B * Ho * Wo * C];
            for (int n = 0; n < B; n++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++)
                        for (int c = 0; c < C; c++)
                        {
                            double s = v[2][c];
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++)
                                {
                                    int ih = oh + i - p, iw = ow + j - p;
                                    if (mode == PadMode.Replicate) { ih = Math.Clamp(ih, 0, H - 1); iw = Math.Clamp(iw, 0, W - 1); }
                                    else if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    s += v[1][(c * k + i) * k + j] * v[0][((n * H + ih) * W + iw) * C + c];
                                }
                            y[((n * Ho + oh) * Wo + ow) * C + c] = s;
                        }
            return y;
        };
        Check($"DepthwiseConv2dChannelsLast {mode} p{p} k{k} C{C}", [x, w, b], t =>
        {
            var y = Rounded(reference, t, B, Ho, Wo, C);
            Recorder.DepthwiseConv2dChannelsLast(y, t[0], t[1], t[2], p, mode);
            return y;
        }, reference);
    }
}
