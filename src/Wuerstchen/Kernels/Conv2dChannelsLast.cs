using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// A dense (groups = 1) convolution on channels-last data, x[B, H, W, C] → y[B, OH, OW, O], as im2col + GEMM in
/// the layout the data already has: a column row is one output pixel's receptive field, tap by tap, each tap a
/// contiguous copy of C channels, and the GEMM writes output pixels as rows of O channels. Stage A's stride-2 4×4
/// convolutions thus run without the two full-size transposes of the NCHW route, and the column matrix is built
/// with block copies instead of a strided gather per element.
/// The sum over the receptive field runs tap-major (ky, kx, c) where the NCHW kernel runs channel-major, so the two
/// agree to rounding, not bit for bit.
/// </summary>
public static unsafe class Conv2dChannelsLast
{
    /// <summary>Floats of column matrix per tile (16 MB), as for the NCHW im2col.</summary>
    private const long ColumnBudget = 1L << 22;

    /// <summary>Output pixels per im2col work item.</summary>
    private const int PixelsPerItem = 32;

    /// <summary>
    /// y = conv(x, weight) + bias for g.Groups == 1; x is [B, InH, InW, C], weight torch's [O, C, kH, kW], bias [O]
    /// or null, y [B, OutH, OutW, O]. Zero padding, any kernel, stride and dilation.
    /// </summary>
    public static void Forward(in ConvGeometry g, float* x, float* weight, float* bias, float* y)
    {
        if (g.Groups != 1) throw new ArgumentException($"Conv2dChannelsLast: groups must be 1, got {g.Groups}.", nameof(g));
        int c = g.InChannels, o = g.OutChannels, taps = g.KernelH * g.KernelW;
        int k = taps * c;
        long outPlane = g.OutPlane;
        if (g.Batch == 0 || outPlane == 0 || o == 0) return;
        int tile = (int)Math.Min(outPlane, Math.Max(PixelsPerItem, ColumnBudget / Math.Max(k, 1)));
        float* w = (float*)NativeMemory.AlignedAlloc((nuint)((long)o * k * sizeof(float)), 64);
        float* col = (float*)NativeMemory.AlignedAlloc((nuint)((long)tile * k * sizeof(float)), 64);
        try
        {
            // Weight as [O, kH, kW, C], the order of a column row.
            for (int oc = 0; oc < o; oc++)
                for (int ch = 0; ch < c; ch++)
                    for (int t = 0; t < taps; t++)
                        w[(long)oc * k + t * c + ch] = weight[((long)oc * c + ch) * taps + t];
            var geometry = g;
            float* colP = col;
            for (int b = 0; b < g.Batch; b++)
            {
                float* xb = x + (long)b * g.InPlane * c;
                for (long p0 = 0; p0 < outPlane; p0 += tile)
                {
                    int count = (int)Math.Min(tile, outPlane - p0);
                    long first = p0;
                    Threads.For((count + PixelsPerItem - 1) / PixelsPerItem, item =>
                    {
                        int end = Math.Min(count, (item + 1) * PixelsPerItem);
                        for (int p = item * PixelsPerItem; p < end; p++)
                            ReceptiveField(geometry, xb, first + p, colP + (long)p * k);
                    });
                    float* yTile = y + ((long)b * outPlane + p0) * o;
                    if (bias != null)
                        for (int p = 0; p < count; p++) new Span<float>(bias, o).CopyTo(new Span<float>(yTile + (long)p * o, o));
                    Gemm.Sgemm(false, true, count, o, k, 1f, col, k, w, k, bias != null ? 1f : 0f, yTile, o);
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(col);
            NativeMemory.AlignedFree(w);
        }
    }

    /// <summary>Column row of output pixel p: for every tap (ky, kx), the C input channels it sees, or zeros in the padding.</summary>
    private static void ReceptiveField(in ConvGeometry g, float* xb, long p, float* dst)
    {
        int c = g.InChannels;
        int oy = (int)(p / g.OutW), ox = (int)(p % g.OutW);
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int iy = oy * g.StrideH - g.PadH + ky * g.DilationH;
            for (int kx = 0; kx < g.KernelW; kx++, dst += c)
            {
                int ix = ox * g.StrideW - g.PadW + kx * g.DilationW;
                if ((uint)iy >= (uint)g.InH || (uint)ix >= (uint)g.InW) new Span<float>(dst, c).Clear();
                else new Span<float>(xb + ((long)iy * g.InW + ix) * c, c).CopyTo(new Span<float>(dst, c));
            }
        }
    }
}
