using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// One axis of a separable resize: output i = Σ_t Weight[i][t]·input[Index[i][t]]. Every mode of
/// F.interpolate on NCHW is such a linear map per axis (output = W_h·X·W_wᵀ), so its gradient is the transpose.
/// </summary>
internal sealed class ResizeAxis
{
    public required int[][] Index { get; init; }
    public required double[][] Weight { get; init; }
    public int InSize { get; init; }
    public int OutSize => Index.Length;

    /// <summary>The weights torch uses to resize <paramref name="inSize"/> → <paramref name="outSize"/>.</summary>
    public static ResizeAxis For(int inSize, int outSize, InterpolationMode mode, bool alignCorners, bool antialias)
    {
        if (antialias && mode != InterpolationMode.Nearest) return Antialiased(inSize, outSize, mode, alignCorners);
        return mode switch
        {
            InterpolationMode.Nearest => Nearest(inSize, outSize),
            InterpolationMode.Bilinear => Linear(inSize, outSize, alignCorners),
            _ => Cubic(inSize, outSize, alignCorners),
        };
    }

    /// <summary>torch's area_pixel_compute_scale for an explicit output size (float arithmetic, as torch does for float tensors).</summary>
    private static float Scale(int inSize, int outSize, bool alignCorners) =>
        alignCorners ? (outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : 0f) : inSize / (float)outSize;

    /// <summary>Legacy 'nearest': src = min(floor(dst·in/out), in − 1) in float.</summary>
    private static ResizeAxis Nearest(int inSize, int outSize)
    {
        float scale = inSize / (float)outSize;
        var idx = new int[outSize][];
        var w = new double[outSize][];
        for (int i = 0; i < outSize; i++)
        {
            idx[i] = [Math.Min((int)MathF.Floor(i * scale), inSize - 1)];
            w[i] = [1.0];
        }
        return new ResizeAxis { Index = idx, Weight = w, InSize = inSize };
    }

    /// <summary>Source coordinate of output i (torch's area_pixel_compute_source_index).</summary>
    private static float Source(float scale, int i, bool alignCorners, bool cubic)
    {
        if (alignCorners) return scale * i;
        float src = scale * (i + 0.5f) - 0.5f;
        return !cubic && src < 0 ? 0f : src;
    }

    private static ResizeAxis Linear(int inSize, int outSize, bool alignCorners)
    {
        float scale = Scale(inSize, outSize, alignCorners);
        var idx = new int[outSize][];
        var w = new double[outSize][];
        for (int i = 0; i < outSize; i++)
        {
            float src = Source(scale, i, alignCorners, cubic: false);
            int i0 = (int)src, i1 = Math.Min(i0 + 1, inSize - 1);
            float l1 = src - i0, l0 = 1f - l1;
            idx[i] = [i0, i1];
            w[i] = [l0, l1];
        }
        return new ResizeAxis { Index = idx, Weight = w, InSize = inSize };
    }

    /// <summary>Bicubic (Keys a = −0.75) over the 4 neighbours of floor(src), indices clamped to the border.</summary>
    private static ResizeAxis Cubic(int inSize, int outSize, bool alignCorners)
    {
        const float a = -0.75f;
        float scale = Scale(inSize, outSize, alignCorners);
        var idx = new int[outSize][];
        var w = new double[outSize][];
        for (int i = 0; i < outSize; i++)
        {
            float src = Source(scale, i, alignCorners, cubic: true);
            int f = (int)MathF.Floor(src);
            float t = src - f;
            idx[i] = [Clamp(f - 1), Clamp(f), Clamp(f + 1), Clamp(f + 2)];
            w[i] = [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)];
        }
        return new ResizeAxis { Index = idx, Weight = w, InSize = inSize };

        int Clamp(int v) => Math.Clamp(v, 0, inSize - 1);
        static double Near(float x) => ((a + 2) * x - (a + 3)) * x * x + 1;
        static double Far(float x) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }

    /// <summary>
    /// torch's antialiased resize (PIL-style separable filter): support = taps/2 · max(scale, 1), centre = scale·(i + 0.5)
    /// (align_corners only changes the scale), weights K((j − centre + 0.5)/max(scale, 1)) normalised to sum 1;
    /// K is the triangle filter for bilinear and Keys' cubic with a = −0.5 for bicubic.
    /// </summary>
    private static ResizeAxis Antialiased(int inSize, int outSize, InterpolationMode mode, bool alignCorners)
    {
        bool cubic = mode == InterpolationMode.Bicubic;
        double scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (double)(outSize - 1) : 0) : inSize / (double)outSize;
        double support = (cubic ? 2.0 : 1.0) * (scale >= 1 ? scale : 1);
        double invScale = scale >= 1 ? 1 / scale : 1;
        var idx = new int[outSize][];
        var w = new double[outSize][];
        for (int i = 0; i < outSize; i++)
        {
            double center = scale * (i + 0.5);
            int xmin = Math.Max((int)(center - support + 0.5), 0), xmax = Math.Min((int)(center + support + 0.5), inSize);
            var ws = new double[Math.Max(0, xmax - xmin)];
            double total = 0;
            for (int j = 0; j < ws.Length; j++)
            {
                double x = (j + xmin - center + 0.5) * invScale;
                ws[j] = cubic ? KeysHalf(x) : Math.Max(0, 1 - Math.Abs(x));
                total += ws[j];
            }
            if (total != 0) for (int j = 0; j < ws.Length; j++) ws[j] /= total;
            idx[i] = Enumerable.Range(xmin, ws.Length).ToArray();
            w[i] = ws;
        }
        return new ResizeAxis { Index = idx, Weight = w, InSize = inSize };

        static double KeysHalf(double x)
        {
            const double a = -0.5;
            x = Math.Abs(x);
            return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
        }
    }

    /// <summary>The dense [out, in] matrix (tests, small sizes).</summary>
    public double[,] ToMatrix()
    {
        var m = new double[OutSize, InSize];
        for (int i = 0; i < OutSize; i++)
            for (int t = 0; t < Index[i].Length; t++) m[i, Index[i][t]] += Weight[i][t];
        return m;
    }
}

/// <summary>∂x of F.interpolate: the transposed separable map, ∂X = W_hᵀ·G·W_w per plane.</summary>
internal static unsafe class ResizeBackward
{
    public static Tensor Input(Tensor g, ReadOnlySpan<int> xShape, ResizeAxis rows, ResizeAxis cols)
    {
        int h = xShape[^2], w = xShape[^1], oh = rows.OutSize, ow = cols.OutSize;
        long planes = g.Numel / Math.Max(1, (long)oh * ow);
        var gx = Tensor.Zeros(xShape);
        float* gp = g.Data, gxp = gx.Data;
        Threads.For((int)planes, p =>
        {
            var tmp = new double[oh * w]; // G·W_w for this plane
            float* gs = gp + p * oh * ow;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double v = gs[i * ow + j];
                    var ix = cols.Index[j]; var wt = cols.Weight[j];
                    for (int t = 0; t < ix.Length; t++) tmp[i * w + ix[t]] += wt[t] * v;
                }
            var acc = new double[h * w];
            for (int i = 0; i < oh; i++)
            {
                var ix = rows.Index[i]; var wt = rows.Weight[i];
                for (int t = 0; t < ix.Length; t++)
                    for (int c = 0; c < w; c++) acc[ix[t] * w + c] += wt[t] * tmp[i * w + c];
            }
            float* dst = gxp + p * h * w;
            for (int e = 0; e < h * w; e++) dst[e] = (float)acc[e];
        });
        return gx;
    }
}
