namespace Wuerstchen.Kernels;

/// <summary>
/// LayerNorm (rows and the channel dim of NCHW), ConvNeXt-V2 global response norm, inference BatchNorm.
/// Statistics use separate passes (mean, refined mean, mean squared deviation) with double block totals and the
/// mean kept to more than float precision, so a row with a large mean and a small spread is normalised as
/// accurately as a centred one (torch's float Welford pass is less accurate; the double reference is not).
/// </summary>
public static unsafe class Normalization
{
    /// <summary>
    /// y[r, :] = (x[r, :] − mean)/√(var + eps)·weight + bias over rows of length n (biased variance, torch
    /// LayerNorm). weight and bias are optional (null = no affine).
    /// </summary>
    public static void LayerNormRows(float* x, float* y, long rows, int n, float* weight, float* bias, float eps)
    {
        if (rows <= 0 || n <= 0) return;
        long rowsPerItem = Math.Max(1, Elementwise.ParallelGrain / n);
        long items = (rows + rowsPerItem - 1) / rowsPerItem;
        Threads.For((int)items, item =>
        {
            long last = Math.Min(rows, (item + 1) * rowsPerItem);
            for (long r = item * rowsPerItem; r < last; r++)
            {
                float* xr = x + r * n, yr = y + r * n;
                var (mean, meanLo) = Reductions.Mean(xr, n);
                float var = (float)(Reductions.SumSquaredDeviations(xr, n, mean) / n);
                float rstd = 1f / MathF.Sqrt(var + eps);
                if (V512.IsAccelerated) NormalizeRow<V512>(xr, yr, n, mean, meanLo, rstd, weight, bias);
                else if (V256.IsAccelerated) NormalizeRow<V256>(xr, yr, n, mean, meanLo, rstd, weight, bias);
                else NormalizeRow<V128>(xr, yr, n, mean, meanLo, rstd, weight, bias);
            }
        });
    }

    private static void NormalizeRow<TV>(float* x, float* y, int n, float mean, float meanLo, float rstd, float* w, float* b)
        where TV : unmanaged, ISimd<TV>
    {
        var m = TV.Create(mean);
        var mLo = TV.Create(meanLo);
        var s = TV.Create(rstd);
        int i = 0;
        if (w == null && b == null)
            for (; i + TV.Count <= n; i += TV.Count) TV.Store((TV.Load(x + i) - m - mLo) * s, y + i);
        else if (b == null)
            for (; i + TV.Count <= n; i += TV.Count) TV.Store((TV.Load(x + i) - m - mLo) * s * TV.Load(w + i), y + i);
        else if (w == null)
            for (; i + TV.Count <= n; i += TV.Count) TV.Store((TV.Load(x + i) - m - mLo) * s + TV.Load(b + i), y + i);
        else
            for (; i + TV.Count <= n; i += TV.Count) TV.Store(TV.Fma((TV.Load(x + i) - m - mLo) * s, TV.Load(w + i), TV.Load(b + i)), y + i);
        for (; i < n; i++)
        {
            float v = (x[i] - mean - meanLo) * rstd;
            if (w != null) v *= w[i];
            if (b != null) v += b[i];
            y[i] = v;
        }
    }

    /// <summary>
    /// LayerNorm over the channel dim of NCHW data x[batch, channels, pixels] (Würstchen's LayerNorm2d, no affine):
    /// every pixel is normalised over its channels. Vectorised across pixels, channel by channel.
    /// </summary>
    public static void LayerNormChannels(float* x, float* y, int batch, int channels, long pixels, float eps)
    {
        if (batch <= 0 || channels <= 0 || pixels <= 0) return;
        const int Strip = Reductions.ColumnStrip;
        long strips = (pixels + Strip - 1) / Strip;
        Threads.For((int)(batch * strips), item =>
        {
            long b = item / strips, p0 = item % strips * Strip;
            int w = (int)Math.Min(Strip, pixels - p0);
            float* xb = x + b * channels * pixels + p0, yb = y + b * channels * pixels + p0;
            double* sum = stackalloc double[Strip];
            float* mean = stackalloc float[Strip];
            float* meanLo = stackalloc float[Strip];
            float* rstd = stackalloc float[Strip];
            // Mean as hi + lo (first estimate refined by the deviations from it), as in LayerNormRows.
            new Span<double>(sum, w).Clear();
            Reductions.AccumulateColumns(xb, pixels, channels, w, sum, null, squares: false);
            for (int j = 0; j < w; j++) mean[j] = (float)(sum[j] / channels);
            new Span<double>(sum, w).Clear();
            Reductions.AccumulateColumns(xb, pixels, channels, w, sum, mean, squares: false);
            for (int j = 0; j < w; j++)
            {
                double refined = mean[j] + sum[j] / channels;
                mean[j] = (float)refined;
                meanLo[j] = (float)(refined - mean[j]);
            }
            new Span<double>(sum, w).Clear();
            Reductions.AccumulateColumns(xb, pixels, channels, w, sum, mean, squares: true);
            for (int j = 0; j < w; j++) rstd[j] = 1f / MathF.Sqrt((float)(sum[j] / channels) + eps);
            for (int c = 0; c < channels; c++)
            {
                if (V512.IsAccelerated) Standardize<V512>(xb + c * pixels, yb + c * pixels, mean, meanLo, rstd, w);
                else if (V256.IsAccelerated) Standardize<V256>(xb + c * pixels, yb + c * pixels, mean, meanLo, rstd, w);
                else Standardize<V128>(xb + c * pixels, yb + c * pixels, mean, meanLo, rstd, w);
            }
        });
    }

    private static void Standardize<TV>(float* x, float* y, float* mean, float* meanLo, float* rstd, int n) where TV : unmanaged, ISimd<TV>
    {
        int i = 0;
        for (; i + TV.Count <= n; i += TV.Count)
            TV.Store((TV.Load(x + i) - TV.Load(mean + i) - TV.Load(meanLo + i)) * TV.Load(rstd + i), y + i);
        for (; i < n; i++) y[i] = (x[i] - mean[i] - meanLo[i]) * rstd[i];
    }

    /// <summary>
    /// ConvNeXt-V2 GRN on channels-last x[batch, pixels, d]: G = ‖x‖₂ over pixels per channel,
    /// N = G / (mean_d G + 1e-6), y = γ·(x·N) + β + x (torch's order of operations).
    /// </summary>
    public static void GlobalResponseNorm(float* x, float* y, int batch, long pixels, int d, float* gamma, float* beta)
    {
        if (batch <= 0 || pixels <= 0 || d <= 0) return;
        var norms = new float[batch * (long)d];
        const int Lanes = 128;
        int strips = (d + Lanes - 1) / Lanes;
        fixed (float* nx = norms)
        {
            float* np = nx;
            // Per channel sum of squares over all pixels: each work item owns a strip of channels of one image.
            Threads.For(batch * strips, item =>
            {
                int b = item / strips, c0 = item % strips * Lanes, w = Math.Min(Lanes, d - c0);
                double* acc = stackalloc double[Lanes];
                new Span<double>(acc, w).Clear();
                Reductions.AccumulateColumns(x + b * pixels * d + c0, d, pixels, w, acc, null, squares: true);
                for (int j = 0; j < w; j++) np[b * d + c0 + j] = (float)Math.Sqrt(acc[j]);
            });
            for (int b = 0; b < batch; b++)
            {
                float* g = np + b * d;
                float mean = (float)(Reductions.Sum(g, d) / d);
                float denominator = mean + 1e-6f;
                for (int j = 0; j < d; j++) g[j] /= denominator;
            }
            long rowsPerItem = Math.Max(1, Elementwise.ParallelGrain / d);
            long rows = batch * pixels;
            long items = (rows + rowsPerItem - 1) / rowsPerItem;
            Threads.For((int)items, item =>
            {
                long last = Math.Min(rows, (item + 1) * rowsPerItem);
                for (long r = item * rowsPerItem; r < last; r++)
                {
                    float* n = np + r / pixels * d;
                    if (V512.IsAccelerated) GrnRow<V512>(x + r * d, y + r * d, n, gamma, beta, d);
                    else if (V256.IsAccelerated) GrnRow<V256>(x + r * d, y + r * d, n, gamma, beta, d);
                    else GrnRow<V128>(x + r * d, y + r * d, n, gamma, beta, d);
                }
            });
        }
    }

    private static void GrnRow<TV>(float* x, float* y, float* n, float* gamma, float* beta, int d) where TV : unmanaged, ISimd<TV>
    {
        int i = 0;
        for (; i + TV.Count <= d; i += TV.Count)
        {
            var v = TV.Load(x + i);
            TV.Store(TV.Load(gamma + i) * (v * TV.Load(n + i)) + TV.Load(beta + i) + v, y + i);
        }
        for (; i < d; i++) y[i] = gamma[i] * (x[i] * n[i]) + beta[i] + x[i];
    }

    /// <summary>
    /// Inference BatchNorm on NCHW planes: y = x·α + β per channel with α = weight/√(var + eps),
    /// β = bias − mean·α (torch's folded form). weight/bias may be null (1 and 0).
    /// </summary>
    public static void BatchNormPlanes(float* x, float* y, int batch, int channels, long pixels,
        float* mean, float* var, float* weight, float* bias, float eps)
    {
        Threads.For(batch * channels, plane =>
        {
            int c = plane % channels;
            float alpha = (weight == null ? 1f : weight[c]) / MathF.Sqrt(var[c] + eps);
            float shift = (bias == null ? 0f : bias[c]) - mean[c] * alpha;
            Elementwise.MapSerial(new AffineScalarOp(alpha, shift), x + plane * pixels, y + plane * pixels, pixels);
        });
    }
}

/// <summary>x·scale + shift.</summary>
internal readonly struct AffineScalarOp(float scale, float shift) : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Fma(x, TV.Create(scale), TV.Create(shift));
}
