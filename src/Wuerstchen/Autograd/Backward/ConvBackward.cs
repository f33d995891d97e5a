using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// Shape of a 2-d convolution y = conv(x, w) on NCHW: x [N, C, H, W], w [O, C/groups, kH, kW],
/// y [N, O, Ho, Wo]. A transposed convolution is described by the convolution it is the input-gradient of.
/// </summary>
internal readonly record struct ConvShape(int N, int C, int H, int W, int O, int KH, int KW,
    int StrideH, int StrideW, int PadH, int PadW, int DilH, int DilW, int Groups)
{
    public int Ho => (H + 2 * PadH - DilH * (KH - 1) - 1) / StrideH + 1;
    public int Wo => (W + 2 * PadW - DilW * (KW - 1) - 1) / StrideW + 1;
    public int Cg => C / Groups;
    public int Og => O / Groups;
    /// <summary>Rows of the im2col matrix of one group: Cg·kH·kW.</summary>
    public int ColRows => Cg * KH * KW;
    public bool IsPointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
    public bool IsDepthwise => Cg == 1 && Og == 1;

    /// <summary>torch's defaults: a (0, 0) stride or dilation means 1.</summary>
    public static (int H, int W) OrOne((int H, int W) v) => v == default ? (1, 1) : v;

    public static ConvShape Of(ReadOnlySpan<int> xShape, ReadOnlySpan<int> wShape, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups) =>
        new(xShape[0], xShape[1], xShape[2], xShape[3], wShape[0], wShape[2], wShape[3],
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
}

/// <summary>
/// The three products of a convolution, via im2col + GEMM per (image, group), or direct loops for depthwise
/// kernels (one input and one output channel per group): the forward y = conv(x, w), the input gradient
/// ∂x = convᵀ(g, w) and the weight gradient ∂w = Σ_n g ⋆ x. Conv2d's backward uses the last two; ConvTranspose2d's
/// uses the first and the last (its input gradient is a convolution, its weight gradient the same correlation
/// with the roles of x and g swapped). Parallel over images or channels only, so every sum has a fixed order.
/// </summary>
internal static unsafe class ConvBackward
{
    public static Tensor Forward(Tensor x, Tensor weight, in ConvShape k)
    {
        var y = Tensor.Empty(k.N, k.O, k.Ho, k.Wo);
        using var xd = new Dense(x);
        using var wd = new Dense(weight);
        float* xp = xd.Data, wp = wd.Data, yp = y.Data;
        var geo = k;
        if (k.IsDepthwise) { DepthwiseForward(xp, wp, yp, geo); return y; }
        int hw = k.Ho * k.Wo;
        Threads.For(k.N, n =>
        {
            using var col = geo.IsPointwise ? null : Tensor.Empty(geo.ColRows, hw);
            for (int grp = 0; grp < geo.Groups; grp++)
            {
                float* xg = xp + ((long)n * geo.C + grp * geo.Cg) * geo.H * geo.W;
                float* c = col is null ? xg : col.Data;
                if (col is not null) Im2Col(xg, c, geo);
                Gemm.Sgemm(false, false, geo.Og, hw, geo.ColRows, 1f, wp + (long)grp * geo.Og * geo.ColRows, geo.ColRows,
                    c, hw, 0f, yp + ((long)n * geo.O + grp * geo.Og) * hw, hw);
            }
        });
        return y;
    }

    /// <summary>∂x [N, C, H, W] from g [N, O, Ho, Wo].</summary>
    public static Tensor InputGrad(Tensor g, Tensor weight, in ConvShape k)
    {
        var gx = Tensor.Zeros(k.N, k.C, k.H, k.W);
        using var wd = new Dense(weight);
        float* gp = g.Data, wp = wd.Data, gxp = gx.Data;
        var geo = k;
        if (k.IsDepthwise) { DepthwiseInputGrad(gp, wp, gxp, geo); return gx; }
        int hw = k.Ho * k.Wo;
        Threads.For(k.N, n =>
        {
            using var col = geo.IsPointwise ? null : Tensor.Empty(geo.ColRows, hw);
            for (int grp = 0; grp < geo.Groups; grp++)
            {
                float* gxg = gxp + ((long)n * geo.C + grp * geo.Cg) * geo.H * geo.W;
                float* c = col is null ? gxg : col.Data;
                Gemm.Sgemm(true, false, geo.ColRows, hw, geo.Og, 1f, wp + (long)grp * geo.Og * geo.ColRows, geo.ColRows,
                    gp + ((long)n * geo.O + grp * geo.Og) * hw, hw, 0f, c, hw);
                if (col is not null) Col2ImAdd(c, gxg, geo);
            }
        });
        return gx;
    }

    /// <summary>∂w [O, C/groups, kH, kW] = Σ_n g[n] · im2col(x[n])ᵀ.</summary>
    public static Tensor WeightGrad(Tensor x, Tensor g, in ConvShape k)
    {
        var gw = Tensor.Empty(k.O, k.Cg, k.KH, k.KW);
        using var xd = new Dense(x);
        float* xp = xd.Data, gp = g.Data, gwp = gw.Data;
        if (k.IsDepthwise) { DepthwiseWeightGrad(xp, gp, gwp, k); return gw; }
        int hw = k.Ho * k.Wo;
        using var col = k.IsPointwise ? null : Tensor.Empty(k.ColRows, hw);
        for (int n = 0; n < k.N; n++) // accumulates over images: serial, the GEMM parallelises
            for (int grp = 0; grp < k.Groups; grp++)
            {
                float* xg = xp + ((long)n * k.C + grp * k.Cg) * k.H * k.W;
                float* c = col is null ? xg : col.Data;
                if (col is not null) Im2Col(xg, c, k);
                Gemm.Sgemm(false, true, k.Og, k.ColRows, hw, 1f, gp + ((long)n * k.O + grp * k.Og) * hw, hw,
                    c, hw, n == 0 ? 0f : 1f, gwp + (long)grp * k.Og * k.ColRows, k.ColRows);
            }
        return gw;
    }

    /// <summary>∂bias [O] = Σ over N, H, W of g [N, O, H, W] (double accumulation).</summary>
    public static Tensor BiasGrad(Tensor g, ReadOnlySpan<int> biasShape)
    {
        int n = g.Shape[0], o = g.Shape[1];
        long hw = g.Numel / Math.Max(1, (long)n * o);
        var gb = Tensor.Empty(biasShape);
        float* gp = g.Data, bp = gb.Data;
        Threads.For(o, c =>
        {
            double s = 0;
            for (int i = 0; i < n; i++)
            {
                float* row = gp + ((long)i * o + c) * hw;
                for (long j = 0; j < hw; j++) s += row[j];
            }
            bp[c] = (float)s;
        });
        return gb;
    }

    // ---------------------------------------------------------------- im2col

    /// <summary>col[(c·kH + i)·kW + j, oh·Wo + ow] = x[c, oh·s − p + i·d, ow·s − p + j·d] (0 outside) for one group's Cg channels.</summary>
    private static void Im2Col(float* x, float* col, in ConvShape k)
    {
        int ho = k.Ho, wo = k.Wo;
        for (int c = 0; c < k.Cg; c++)
            for (int i = 0; i < k.KH; i++)
                for (int j = 0; j < k.KW; j++)
                {
                    float* dst = col + ((long)(c * k.KH + i) * k.KW + j) * ho * wo;
                    for (int oh = 0; oh < ho; oh++)
                    {
                        int ih = oh * k.StrideH - k.PadH + i * k.DilH;
                        float* d = dst + oh * wo;
                        if ((uint)ih >= (uint)k.H) { new Span<float>(d, wo).Clear(); continue; }
                        float* src = x + ((long)c * k.H + ih) * k.W;
                        for (int ow = 0; ow < wo; ow++)
                        {
                            int iw = ow * k.StrideW - k.PadW + j * k.DilW;
                            d[ow] = (uint)iw < (uint)k.W ? src[iw] : 0f;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: x[c, ih, iw] += col[…] over every kernel tap that read it.</summary>
    private static void Col2ImAdd(float* col, float* x, in ConvShape k)
    {
        int ho = k.Ho, wo = k.Wo;
        for (int c = 0; c < k.Cg; c++)
            for (int i = 0; i < k.KH; i++)
                for (int j = 0; j < k.KW; j++)
                {
                    float* src = col + ((long)(c * k.KH + i) * k.KW + j) * ho * wo;
                    for (int oh = 0; oh < ho; oh++)
                    {
                        int ih = oh * k.StrideH - k.PadH + i * k.DilH;
                        if ((uint)ih >= (uint)k.H) continue;
                        float* dst = x + ((long)c * k.H + ih) * k.W;
                        float* s = src + oh * wo;
                        for (int ow = 0; ow < wo; ow++)
                        {
                            int iw = ow * k.StrideW - k.PadW + j * k.DilW;
                            if ((uint)iw < (uint)k.W) dst[iw] += s[ow];
                        }
                    }
                }
    }

    // ---------------------------------------------------------------- depthwise (one channel per group)

    private static void DepthwiseForward(float* x, float* w, float* y, ConvShape k)
    {
        Threads.For(k.N * k.C, plane =>
        {
            int c = plane % k.C;
            float* xs = x + (long)plane * k.H * k.W, ys = y + (long)plane * k.Ho * k.Wo, ws = w + (long)c * k.KH * k.KW;
            for (int oh = 0; oh < k.Ho; oh++)
                for (int ow = 0; ow < k.Wo; ow++)
                {
                    float s = 0;
                    for (int i = 0; i < k.KH; i++)
                    {
                        int ih = oh * k.StrideH - k.PadH + i * k.DilH;
                        if ((uint)ih >= (uint)k.H) continue;
                        for (int j = 0; j < k.KW; j++)
                        {
                            int iw = ow * k.StrideW - k.PadW + j * k.DilW;
                            if ((uint)iw < (uint)k.W) s += ws[i * k.KW + j] * xs[ih * k.W + iw];
                        }
                    }
                    ys[oh * k.Wo + ow] = s;
                }
        });
    }

    private static void DepthwiseInputGrad(float* g, float* w, float* gx, ConvShape k)
    {
        Threads.For(k.N * k.C, plane =>
        {
            int c = plane % k.C;
            float* gs = g + (long)plane * k.Ho * k.Wo, gxs = gx + (long)plane * k.H * k.W, ws = w + (long)c * k.KH * k.KW;
            for (int oh = 0; oh < k.Ho; oh++)
                for (int i = 0; i < k.KH; i++)
                {
                    int ih = oh * k.StrideH - k.PadH + i * k.DilH;
                    if ((uint)ih >= (uint)k.H) continue;
                    for (int j = 0; j < k.KW; j++)
                    {
                        float wv = ws[i * k.KW + j];
                        for (int ow = 0; ow < k.Wo; ow++)
                        {
                            int iw = ow * k.StrideW - k.PadW + j * k.DilW;
                            if ((uint)iw < (uint)k.W) gxs[ih * k.W + iw] += wv * gs[oh * k.Wo + ow];
                        }
                    }
                }
        });
    }

    private static void DepthwiseWeightGrad(float* x, float* g, float* gw, ConvShape k)
    {
        Threads.For(k.C, c =>
        {
            for (int i = 0; i < k.KH; i++)
                for (int j = 0; j < k.KW; j++)
                {
                    double s = 0;
                    for (int n = 0; n < k.N; n++)
                    {
                        float* xs = x + ((long)n * k.C + c) * k.H * k.W, gs = g + ((long)n * k.C + c) * k.Ho * k.Wo;
                        for (int oh = 0; oh < k.Ho; oh++)
                        {
                            int ih = oh * k.StrideH - k.PadH + i * k.DilH;
                            if ((uint)ih >= (uint)k.H) continue;
                            for (int ow = 0; ow < k.Wo; ow++)
                            {
                                int iw = ow * k.StrideW - k.PadW + j * k.DilW;
                                if ((uint)iw < (uint)k.W) s += gs[oh * k.Wo + ow] * xs[ih * k.W + iw];
                            }
                        }
                    }
                    gw[((long)c * k.KH + i) * k.KW + j] = (float)s;
                }
        });
    }

    // ---------------------------------------------------------------- depthwise on channels-last

    /// <summary>
    /// Source row/column of output position o and tap i for a stride-1 conv with padding p over n pixels:
    /// o + i − p, clamped into the image for replicate padding, −1 when it falls in zero padding.
    /// </summary>
    private static int Source(int o, int i, int p, int n, bool replicate)
    {
        int s = o + i - p;
        if (replicate) return Math.Clamp(s, 0, n - 1);
        return (uint)s < (uint)n ? s : -1;
    }

    /// <summary>∂x [B, H, W, C] of the channels-last depthwise conv: each output's gradient times its tap goes to the pixel it read.</summary>
    public static Tensor DepthwiseChannelsLastInput(Tensor g, Tensor weight, ReadOnlySpan<int> xShape, int padding, PadMode mode)
    {
        int b = xShape[0], h = xShape[1], w = xShape[2], c = xShape[3], oh = g.Shape[1], ow = g.Shape[2], k = weight.Shape[2];
        bool replicate = mode == PadMode.Replicate;
        var gx = Tensor.Zeros(xShape);
        using var wd = new Dense(weight);
        float* gp = g.Data, gxp = gx.Data;
        var taps = TapMajor(wd.Data, c, k);   // [k, k, C]: each tap's weights contiguous over channels
        Threads.For(b, n => // one image per task: every sum into ∂x stays in one thread, in a fixed order
        {
            fixed (float* tp = taps)
                for (int y = 0; y < oh; y++)
                    for (int i = 0; i < k; i++)
                    {
                        int sy = Source(y, i, padding, h, replicate);
                        if (sy < 0) continue;
                        for (int x = 0; x < ow; x++)
                            for (int j = 0; j < k; j++)
                            {
                                int sx = Source(x, j, padding, w, replicate);
                                if (sx < 0) continue;
                                float* src = gp + (((long)n * oh + y) * ow + x) * c, dst = gxp + (((long)n * h + sy) * w + sx) * c;
                                Lanes.MultiplyAdd(dst, src, tp + (i * k + j) * c, c);
                            }
                    }
        });
        return gx;
    }

    /// <summary>∂w [C, 1, k, k] of the channels-last depthwise conv: Σ over images and outputs of g times the pixel each tap read.</summary>
    public static Tensor DepthwiseChannelsLastWeight(Tensor g, Tensor x, ReadOnlySpan<int> weightShape, int padding, PadMode mode)
    {
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], oh = g.Shape[1], ow = g.Shape[2], k = weightShape[2];
        bool replicate = mode == PadMode.Replicate;
        var gw = Tensor.Empty(weightShape);
        using var xd = new Dense(x);
        float* gp = g.Data, xp = xd.Data, gwp = gw.Data;
        Threads.For(k * k, tap => // one tap per task, all channels: contiguous channel rows
        {
            int i = tap / k, j = tap % k;
            var acc = new double[c];
            fixed (double* ap = acc)
                for (int n = 0; n < b; n++)
                    for (int y = 0; y < oh; y++)
                    {
                        int sy = Source(y, i, padding, h, replicate);
                        if (sy < 0) continue;
                        for (int xo = 0; xo < ow; xo++)
                        {
                            int sx = Source(xo, j, padding, w, replicate);
                            if (sx < 0) continue;
                            float* gr = gp + (((long)n * oh + y) * ow + xo) * c, xr = xp + (((long)n * h + sy) * w + sx) * c;
                            Lanes.AccumulateProducts(ap, gr, xr, c);
                        }
                    }
            for (int ch = 0; ch < c; ch++) gwp[(ch * k + i) * k + j] = (float)acc[ch];
        });
        return gw;
    }

    /// <summary>The depthwise weight [C, 1, k, k] as [k, k, C].</summary>
    private static float[] TapMajor(float* w, int c, int k)
    {
        var t = new float[k * k * c];
        for (int ch = 0; ch < c; ch++)
            for (int tap = 0; tap < k * k; tap++) t[tap * c + ch] = w[ch * k * k + tap];
        return t;
    }

    // ---------------------------------------------------------------- padding

    /// <summary>∂x of F.pad on the last two dims: the gradient of each output pixel goes to the input pixel it copied (zeros: none outside).</summary>
    public static Tensor Pad2dGrad(Tensor g, ReadOnlySpan<int> xShape, int left, int top, PadMode mode)
    {
        var gx = Tensor.Zeros(xShape);
        int h = xShape[^2], w = xShape[^1], gh = g.Shape[^2], gw = g.Shape[^1];
        long planes = g.Numel / Math.Max(1, (long)gh * gw);
        float* gp = g.Data, gxp = gx.Data;
        bool replicate = mode == PadMode.Replicate;
        Threads.For((int)planes, p =>
        {
            float* src = gp + (long)p * gh * gw, dst = gxp + (long)p * h * w;
            for (int oh = 0; oh < gh; oh++)
            {
                int ih = oh - top;
                if (replicate) ih = Math.Clamp(ih, 0, h - 1);
                else if ((uint)ih >= (uint)h) continue;
                for (int ow = 0; ow < gw; ow++)
                {
                    int iw = ow - left;
                    if (replicate) iw = Math.Clamp(iw, 0, w - 1);
                    else if ((uint)iw >= (uint)w) continue;
                    dst[ih * w + iw] += src[oh * gw + ow];
                }
            }
        });
        return gx;
    }
}
