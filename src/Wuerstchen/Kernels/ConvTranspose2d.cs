namespace Wuerstchen.Kernels;

/// <summary>
/// torch conv_transpose2d on NCHW, weight [C, O/groups, kH, kW]: per image and group one GEMM forms every
/// (output channel, tap) contribution of a tile of input pixels, Wᵀ·x, and col2im adds them into the output at
/// oy = iy·s − p + ky·d. Output channels are independent, so the scatter runs in parallel without races.
/// The geometry is the forward convolution's read backwards: In* are the transposed conv's input sizes.
/// </summary>
public static unsafe class ConvTranspose2d
{
    private const long ColumnBudget = 1L << 22;

    /// <summary>y = bias + conv_transpose(x). y is [batch, OutChannels, OutH, OutW].</summary>
    public static void Forward(in ConvGeometry g, float* x, float* weight, float* bias, float* y)
    {
        Conv2d.FillBias(y, g.Batch, g.OutChannels, g.OutPlane, bias);
        int cg = g.InGroup, og = g.OutGroup;
        int taps = g.KernelH * g.KernelW;
        int m = og * taps;
        long inPlane = g.InPlane;
        int tile = (int)Math.Min(Math.Max(inPlane, 1), Math.Max(64, ColumnBudget / m));
        var columns = new float[(long)m * tile];
        var geometry = g;
        fixed (float* col = columns)
        {
            float* colP = col;
            for (int n = 0; n < g.Batch; n++)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    float* xg = x + ((long)n * g.InChannels + grp * cg) * inPlane;
                    float* yg = y + ((long)n * g.OutChannels + grp * og) * g.OutPlane;
                    for (long p0 = 0; p0 < inPlane; p0 += tile)
                    {
                        int t = (int)Math.Min(tile, inPlane - p0);
                        // col[(o, ky, kx), p] = Σ_c W[c, o, ky, kx] · x[c, p]
                        Gemm.Sgemm(true, false, m, t, cg, 1f,
                            weight + (long)grp * cg * m, m, xg + p0, inPlane,
                            0f, colP, t);
                        long first = p0;
                        Threads.For(og, o => Col2Im(geometry, colP + (long)o * taps * t, first, t, yg + o * geometry.OutPlane));
                    }
                }
        }
    }

    /// <summary>Adds the taps of one output channel for input pixels [p0, p0 + t) into its output plane.</summary>
    private static void Col2Im(in ConvGeometry g, float* col, long p0, int t, float* plane)
    {
        for (int ky = 0; ky < g.KernelH; ky++)
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                float* row = col + (long)(ky * g.KernelW + kx) * t;
                int iy = (int)(p0 / g.InW), ix = (int)(p0 % g.InW);
                for (int i = 0; i < t;)
                {
                    int run = Math.Min(t - i, g.InW - ix);
                    int oy = iy * g.StrideH - g.PadH + ky * g.DilationH;
                    if ((uint)oy < (uint)g.OutH)
                    {
                        float* dst = plane + (long)oy * g.OutW;
                        int ox = ix * g.StrideW - g.PadW + kx * g.DilationW;
                        for (int j = 0; j < run; j++, ox += g.StrideW)
                            if ((uint)ox < (uint)g.OutW) dst[ox] += row[i + j];
                    }
                    i += run;
                    ix = 0;
                    iy++;
                }
            }
    }
}
