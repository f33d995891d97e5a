namespace Wuerstchen.Kernels;

/// <summary>The interpolation filters of torch.nn.functional.interpolate that <see cref="Resize"/> reproduces.</summary>
public enum ResizeFilter { Nearest, NearestExact, Linear, Cubic }

/// <summary>
/// The resampling of one axis, in → out: output i is Σ_{t &lt; Count[i]} Weight[i, t]·input[Index[i, t]].
/// Built with torch's own arithmetic (which parts are float, which double), so the taps and weights are the ones
/// torch uses, not just mathematically equal ones.
/// </summary>
public sealed class ResampleAxis
{
    public int InSize { get; }
    public int OutSize { get; }
    /// <summary>Row length of <see cref="Index"/>/<see cref="Weight"/>.</summary>
    public int Taps { get; }
    public int[] Index { get; }
    public float[] Weight { get; }
    public int[] Count { get; }

    private ResampleAxis(int inSize, int outSize, int taps)
    {
        InSize = inSize; OutSize = outSize; Taps = taps;
        Index = new int[outSize * taps];
        Weight = new float[outSize * taps];
        Count = new int[outSize];
    }

    /// <summary>torch's area_pixel_compute_scale for float tensors and explicit output sizes.</summary>
    private static float Scale(int inSize, int outSize, bool alignCorners) =>
        alignCorners ? (outSize > 1 ? (float)(inSize - 1) / (outSize - 1) : 0f) : (float)inSize / outSize;

    /// <summary>torch's area_pixel_compute_source_index in float.</summary>
    private static float SourceIndex(float scale, int i, bool alignCorners, bool cubic)
    {
        if (alignCorners) return scale * i;
        float src = scale * (i + 0.5f) - 0.5f;
        return !cubic && src < 0f ? 0f : src;
    }

    public static ResampleAxis Create(int inSize, int outSize, ResizeFilter filter, bool alignCorners, bool antialias)
    {
        if (antialias) return Antialiased(inSize, outSize, filter, alignCorners);
        return filter switch
        {
            ResizeFilter.Nearest => Nearest(inSize, outSize, exact: false),
            ResizeFilter.NearestExact => Nearest(inSize, outSize, exact: true),
            ResizeFilter.Linear => Linear(inSize, outSize, alignCorners),
            _ => Cubic(inSize, outSize, alignCorners),
        };
    }

    private static ResampleAxis Nearest(int inSize, int outSize, bool exact)
    {
        var a = new ResampleAxis(inSize, outSize, 1);
        float scale = Scale(inSize, outSize, alignCorners: false);
        for (int i = 0; i < outSize; i++)
        {
            // nearest: floor(scale·i); nearest-exact: the pixel whose centre is nearest, floor(src + 0.5).
            float real = exact ? SourceIndex(scale, i, false, false) + 0.5f : scale * i;
            a.Index[i] = (int)Math.Min((long)MathF.Floor(real), inSize - 1);
            a.Weight[i] = 1f;
            a.Count[i] = 1;
        }
        return a;
    }

    private static ResampleAxis Linear(int inSize, int outSize, bool alignCorners)
    {
        var a = new ResampleAxis(inSize, outSize, 2);
        float scale = Scale(inSize, outSize, alignCorners);
        for (int i = 0; i < outSize; i++)
        {
            float real = SourceIndex(scale, i, alignCorners, cubic: false);
            int i0 = (int)Math.Min((long)real, inSize - 1);
            int i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
            float lambda1 = Math.Clamp(real - i0, 0f, 1f);
            a.Index[2 * i] = i0; a.Index[2 * i + 1] = i1;
            a.Weight[2 * i] = 1f - lambda1; a.Weight[2 * i + 1] = lambda1;
            a.Count[i] = 2;
        }
        return a;
    }

    private static ResampleAxis Cubic(int inSize, int outSize, bool alignCorners)
    {
        const float A = -0.75f;   // torch's non-antialiased bicubic (Keys a = −0.75)
        static float Near(float x) => ((A + 2) * x - (A + 3)) * x * x + 1;
        static float Far(float x) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
        var a = new ResampleAxis(inSize, outSize, 4);
        float scale = Scale(inSize, outSize, alignCorners);
        for (int i = 0; i < outSize; i++)
        {
            float real = SourceIndex(scale, i, alignCorners, cubic: true);
            int index = (int)Math.Min((long)MathF.Floor(real), inSize - 1);
            float t = Math.Clamp(real - index, 0f, 1f);
            float[] w = [Far(t + 1f), Near(t), Near(1f - t), Far(2f - t)];
            for (int j = 0; j < 4; j++)
            {
                // Taps beyond the border repeat the edge pixel (torch clamps the access index).
                a.Index[4 * i + j] = Math.Clamp(index - 1 + j, 0, inSize - 1);
                a.Weight[4 * i + j] = w[j];
            }
            a.Count[i] = 4;
        }
        return a;
    }

    /// <summary>
    /// torch's antialiased (PIL-style) separable filter: the kernel is stretched by the downscale factor so every
    /// input pixel contributes; weights are normalised to sum 1. align_corners only changes the scale — the sample
    /// centre keeps the half-pixel form. The cubic kernel here is Keys with a = −0.5 (not −0.75).
    /// </summary>
    private static ResampleAxis Antialiased(int inSize, int outSize, ResizeFilter filter, bool alignCorners)
    {
        int interpSize = filter == ResizeFilter.Cubic ? 4 : 2;
        float scale = Scale(inSize, outSize, alignCorners);
        // Mixed precision exactly as ATen's float instantiation: double literals promote some steps.
        float support = scale >= 1.0 ? (float)(interpSize * 0.5 * scale) : (float)(interpSize * 0.5);
        float invScale = scale >= 1.0 ? (float)(1.0 / scale) : 1f;
        int maxTaps = (int)Math.Ceiling(support) * 2 + 1;
        var a = new ResampleAxis(inSize, outSize, maxTaps);
        for (int i = 0; i < outSize; i++)
        {
            float center = (float)(scale * (i + 0.5));
            long xmin = Math.Max((long)((double)(center - support) + 0.5), 0);
            long xsize = Math.Min((long)((double)(center + support) + 0.5), inSize) - xmin;
            xsize = Math.Clamp(xsize, 0, maxTaps);
            float total = 0f;
            for (int j = 0; j < xsize; j++)
            {
                float arg = (float)(((double)((float)(j + xmin) - center) + 0.5) * invScale);
                float w = filter == ResizeFilter.Cubic ? KeysHalf(arg) : Triangle(arg);
                a.Weight[i * maxTaps + j] = w;
                a.Index[i * maxTaps + j] = (int)(xmin + j);
                total += w;
            }
            if (total != 0f)
                for (int j = 0; j < xsize; j++) a.Weight[i * maxTaps + j] /= total;
            a.Count[i] = (int)xsize;
        }
        return a;
    }

    /// <summary>ATen's antialias cubic filter (a = −0.5): the near branch in double, the far one in float then ×a.</summary>
    private static float KeysHalf(float x)
    {
        const double a = -0.5;
        if (x < 0f) x = -x;
        if (x < 1.0) return (float)(((a + 2.0) * x - (a + 3.0)) * x * x + 1);
        if (x < 2.0) return (float)((((x - 5f) * x + 8f) * x - 4f) * a);
        return 0f;
    }

    private static float Triangle(float x)
    {
        if (x < 0f) x = -x;
        return x < 1.0 ? (float)(1.0 - x) : 0f;
    }
}

/// <summary>
/// Separable 2-d resampling of [planes, h, w] float data: along W (within rows) first, then along H (mixing rows),
/// each in float with taps accumulated in order — the order torch's CPU kernels use. An axis whose size does not
/// change is left alone, as torch's separable path does.
/// </summary>
public static unsafe class Resize
{
    public static void Resample(float* x, long planes, ResampleAxis rows, ResampleAxis columns, float* y)
    {
        int h = rows.InSize, w = columns.InSize, oh = rows.OutSize, ow = columns.OutSize;
        bool resizeW = w != ow, resizeH = h != oh;
        if (!resizeW && !resizeH)
        {
            Buffer.MemoryCopy(x, y, planes * h * w * 4L, planes * h * w * 4L);
            return;
        }
        float[]? temp = resizeW && resizeH ? GC.AllocateUninitializedArray<float>(checked((int)(planes * h * ow))) : null;
        fixed (float* tp = temp)
        {
            float* mid = resizeH ? (resizeW ? tp : x) : y;
            if (resizeW)
            {
                float* dst = mid;
                Threads.For(checked((int)(planes * h)), r => ResampleRow(x + (long)r * w, columns, dst + (long)r * ow));
            }
            if (resizeH)
            {
                float* src = mid;
                Threads.For(checked((int)(planes * oh)), r =>
                {
                    long p = r / oh;
                    int oy = (int)(r % oh);
                    float* plane = src + p * h * ow;
                    int t0 = oy * rows.Taps;
                    float* dst = y + (long)r * ow;
                    if (V512.IsAccelerated) MixRows<V512>(plane, ow, rows, t0, rows.Count[oy], dst);
                    else if (V256.IsAccelerated) MixRows<V256>(plane, ow, rows, t0, rows.Count[oy], dst);
                    else MixRows<V128>(plane, ow, rows, t0, rows.Count[oy], dst);
                });
            }
        }
    }

    private static void ResampleRow(float* src, ResampleAxis axis, float* dst)
    {
        int taps = axis.Taps;
        fixed (int* index = axis.Index, count = axis.Count)
        fixed (float* weight = axis.Weight)
            for (int i = 0; i < axis.OutSize; i++)
            {
                int n = count[i];
                int* idx = index + i * taps;
                float* wt = weight + i * taps;
                float acc = n > 0 ? src[idx[0]] * wt[0] : 0f;
                for (int j = 1; j < n; j++) acc = MathF.FusedMultiplyAdd(src[idx[j]], wt[j], acc);
                dst[i] = acc;
            }
    }

    /// <summary>dst = Σ_j w_j · row(idx_j), vectorised along the row.</summary>
    private static void MixRows<TV>(float* plane, int width, ResampleAxis axis, int t0, int n, float* dst) where TV : unmanaged, ISimd<TV>
    {
        if (n == 0) { new Span<float>(dst, width).Clear(); return; }
        fixed (int* index = axis.Index)
        fixed (float* weight = axis.Weight)
        {
            int* idx = index + t0;
            float* wt = weight + t0;
            int i = 0;
            for (; i + TV.Count <= width; i += TV.Count)
            {
                var acc = TV.Load(plane + (long)idx[0] * width + i) * TV.Create(wt[0]);
                for (int j = 1; j < n; j++)
                    acc = TV.Fma(TV.Load(plane + (long)idx[j] * width + i), TV.Create(wt[j]), acc);
                TV.Store(acc, dst + i);
            }
            for (; i < width; i++)
            {
                float acc = plane[(long)idx[0] * width + i] * wt[0];
                for (int j = 1; j < n; j++) acc = MathF.FusedMultiplyAdd(plane[(long)idx[j] * width + i], wt[j], acc);
                dst[i] = acc;
            }
        }
    }
}
