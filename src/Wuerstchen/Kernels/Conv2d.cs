namespace Wuerstchen.Kernels;

/// <summary>Geometry of a 2-d convolution (NCHW, weight [O, C/groups, kH, kW]), validated by the caller.</summary>
public readonly record struct ConvGeometry(
    int Batch, int InChannels, int InH, int InW,
    int OutChannels, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups,
    int OutH, int OutW)
{
    public int InGroup => InChannels / Groups;
    public int OutGroup => OutChannels / Groups;
    public long InPlane => (long)InH * InW;
    public long OutPlane => (long)OutH * OutW;
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
    public bool IsDepthwise => Groups == InChannels && Groups == OutChannels;
}

/// <summary>
/// torch conv2d on NCHW. 1×1 convolutions are one GEMM per image; depthwise ones run as direct per-plane loops;
/// everything else is im2col + GEMM, with the column matrix built for a tile of output pixels at a time so its
/// size stays bounded (a 4×4 conv over 192 channels at 512² would otherwise need 800 MB of columns).
/// </summary>
public static unsafe class Conv2d
{
    /// <summary>Floats of column matrix per tile (16 MB).</summary>
    private const long ColumnBudget = 1L << 22;

    /// <summary>y[n, o, :, :] = bias[o] + Σ weight ⋆ x. bias may be null.</summary>
    public static void Forward(in ConvGeometry g, float* x, float* weight, float* bias, float* y)
    {
        FillBias(y, g.Batch, g.OutChannels, g.OutPlane, bias);
        if (g.IsDepthwise) { DepthwiseConv.Planes(g, x, weight, y); return; }
        if (g.IsPointwise) { Pointwise(g, x, weight, y); return; }
        Im2ColGemm(g, x, weight, y);
    }

    /// <summary>y[n, o, p] = bias[o] (or 0) for every pixel p.</summary>
    internal static void FillBias(float* y, int batch, int channels, long plane, float* bias)
    {
        Threads.For(batch * channels, i =>
            new Span<float>(y + i * plane, checked((int)plane)).Fill(bias == null ? 0f : bias[i % channels]));
    }

    private static void Pointwise(in ConvGeometry g, float* x, float* weight, float* y)
    {
        int cg = g.InGroup, og = g.OutGroup, plane = checked((int)g.InPlane);
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < g.Groups; grp++)
                Gemm.Sgemm(false, false, og, plane, cg, 1f,
                    weight + (long)grp * og * cg, cg,
                    x + ((long)n * g.InChannels + grp * cg) * plane, plane,
                    1f, y + ((long)n * g.OutChannels + grp * og) * plane, plane);
    }

    private static void Im2ColGemm(in ConvGeometry g, float* x, float* weight, float* y)
    {
        int cg = g.InGroup, og = g.OutGroup;
        int k = cg * g.KernelH * g.KernelW;
        long outPlane = g.OutPlane;
        int tile = (int)Math.Min(outPlane, Math.Max(64, ColumnBudget / k));
        var columns = new float[(long)k * tile];
        var geometry = g;
        fixed (float* col = columns)
        {
            float* colP = col;
            for (int n = 0; n < g.Batch; n++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    float* xg = x + ((long)n * g.InChannels + grp * cg) * g.InPlane;
                    for (long p0 = 0; p0 < outPlane; p0 += tile)
                    {
                        int t = (int)Math.Min(tile, outPlane - p0);
                        long first = p0;
                        Threads.For(k, row => Im2ColRow(geometry, xg, row, first, t, colP + (long)row * t));
                        Gemm.Sgemm(false, false, og, t, k, 1f,
                            weight + (long)grp * og * k, k, colP, t,
                            1f, y + ((long)n * g.OutChannels + grp * og) * outPlane + p0, outPlane);
                    }
                }
        }
    }

    /// <summary>
    /// One row of the column matrix: for row = (c, ky, kx), the input value each output pixel p ∈ [p0, p0 + t)
    /// sees through that tap, 0 where the tap falls into the zero padding.
    /// </summary>
    private static void Im2ColRow(in ConvGeometry g, float* xg, int row, long p0, int t, float* dst)
    {
        int kArea = g.KernelH * g.KernelW;
        int c = row / kArea, ky = row % kArea / g.KernelW, kx = row % g.KernelW;
        float* plane = xg + c * g.InPlane;
        int oy = (int)(p0 / g.OutW), ox = (int)(p0 % g.OutW);
        for (int i = 0; i < t;)
        {
            // One output row segment at a time.
            int run = Math.Min(t - i, g.OutW - ox);
            int iy = oy * g.StrideH - g.PadH + ky * g.DilationH;
            if ((uint)iy >= (uint)g.InH)
                new Span<float>(dst + i, run).Clear();
            else
            {
                float* src = plane + (long)iy * g.InW;
                int ix = ox * g.StrideW - g.PadW + kx * g.DilationW;
                if (g.StrideW == 1)
                {
                    // Contiguous: zeros left of the row, one copy, zeros right of it.
                    int lead = Math.Clamp(-ix, 0, run), end = Math.Clamp(g.InW - ix, lead, run);
                    new Span<float>(dst + i, lead).Clear();
                    new Span<float>(src + ix + lead, end - lead).CopyTo(new Span<float>(dst + i + lead, end - lead));
                    new Span<float>(dst + i + end, run - end).Clear();
                }
                else
                    for (int j = 0; j < run; j++, ix += g.StrideW)
                        dst[i + j] = (uint)ix < (uint)g.InW ? src[ix] : 0f;
            }
            i += run;
            ox = 0;
            oy++;
        }
    }
}
