namespace Wuerstchen.Kernels;

/// <summary>
/// Depthwise (one filter per channel) convolutions: NCHW planes for torch's grouped conv2d with groups = C = O,
/// and the channels-last form that Würstchen's blocks use internally, vectorised across channels.
/// </summary>
public static unsafe class DepthwiseConv
{
    /// <summary>
    /// NCHW depthwise conv, zero padding, any kernel/stride/dilation; y must already hold the bias (or zeros).
    /// Each output row accumulates kernel taps as AXPYs over the valid output range (vectorised when stride is 1).
    /// </summary>
    public static void Planes(in ConvGeometry g, float* x, float* weight, float* y)
    {
        var geometry = g;
        Threads.For(g.Batch * g.InChannels, plane =>
        {
            var gg = geometry;
            int c = plane % gg.InChannels;
            float* xp = x + plane * gg.InPlane, yp = y + plane * gg.OutPlane;
            float* wc = weight + (long)c * gg.KernelH * gg.KernelW;
            for (int oy = 0; oy < gg.OutH; oy++)
            {
                float* yrow = yp + (long)oy * gg.OutW;
                for (int ky = 0; ky < gg.KernelH; ky++)
                {
                    int iy = oy * gg.StrideH - gg.PadH + ky * gg.DilationH;
                    if ((uint)iy >= (uint)gg.InH) continue;
                    float* xrow = xp + (long)iy * gg.InW;
                    for (int kx = 0; kx < gg.KernelW; kx++)
                    {
                        // Output columns whose input column ix = ox·s − p + kx·d lies inside the row.
                        int offset = kx * gg.DilationW - gg.PadW;
                        int lo = offset >= 0 ? 0 : (-offset + gg.StrideW - 1) / gg.StrideW;
                        int hi = Math.Min(gg.OutW, (gg.InW - 1 - offset) / gg.StrideW + 1);
                        if (gg.InW - 1 - offset < 0) hi = 0;
                        if (lo >= hi) continue;
                        float wv = wc[ky * gg.KernelW + kx];
                        if (gg.StrideW == 1) Axpy(wv, xrow + lo + offset, yrow + lo, hi - lo);
                        else for (int ox = lo; ox < hi; ox++) yrow[ox] += wv * xrow[ox * gg.StrideW + offset];
                    }
                }
            }
        });
    }

    /// <summary>y[i] += a·x[i].</summary>
    private static void Axpy(float a, float* x, float* y, int n)
    {
        if (V512.IsAccelerated) AxpyCore<V512>(a, x, y, n);
        else if (V256.IsAccelerated) AxpyCore<V256>(a, x, y, n);
        else AxpyCore<V128>(a, x, y, n);
    }

    private static void AxpyCore<TV>(float a, float* x, float* y, int n) where TV : unmanaged, ISimd<TV>
    {
        var va = TV.Create(a);
        int i = 0;
        for (; i + TV.Count <= n; i += TV.Count) TV.Store(TV.Fma(va, TV.Load(x + i), TV.Load(y + i)), y + i);
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    /// <summary>
    /// Channels-last depthwise conv with stride 1: x[batch, h, w, c], weight [c, 1, k, k] (torch layout),
    /// y[batch, h + 2p − k + 1, w + 2p − k + 1, c]. Padding is zeros or replicate (Stage A pads by replication).
    /// Each output pixel keeps a strip of channels in registers while it sums the k² taps.
    /// </summary>
    public static void ChannelsLast(float* x, int batch, int h, int w, int c, float* weight, int k, float* bias,
        int padding, bool replicate, float* y)
    {
        int oh = h + 2 * padding - k + 1, ow = w + 2 * padding - k + 1;
        if (oh <= 0 || ow <= 0 || batch <= 0 || c <= 0) return;
        // Taps as [k·k, c] so every tap's weights are contiguous across channels.
        var taps = new float[k * k * c];
        for (int ch = 0; ch < c; ch++)
            for (int t = 0; t < k * k; t++) taps[t * c + ch] = weight[ch * k * k + t];
        // Offsets of the k² taps from the window's top-left pixel, for windows that lie inside the image.
        var offsets = new long[k * k];
        for (int t = 0; t < k * k; t++) offsets[t] = ((long)(t / k) * w + t % k) * c;
        fixed (float* tp = taps)
        fixed (long* op = offsets)
        {
            float* tapsP = tp;
            long* offsetsP = op;
            Threads.For(batch * oh, rowIndex =>
            {
                int b = rowIndex / oh, oy = rowIndex % oh;
                float** src = stackalloc float*[k * k];
                int* tapIndex = stackalloc int[k * k];
                float* xb = x + (long)b * h * w * c;
                bool rowInside = oy - padding >= 0 && oy - padding + k <= h;
                // Columns whose whole window lies inside the image; for 3×3 they take the register-blocked path.
                int innerStart = padding, innerEnd = Math.Max(padding, Math.Min(ow, w - k + 1 + padding));
                if (k == 3 && rowInside && innerEnd > innerStart)
                {
                    float* rowTopLeft = xb + (long)(oy - padding) * w * c;
                    float* dstRow = y + ((long)b * oh + oy) * ow * c;
                    if (V512.IsAccelerated) Interior3x3<V512>(rowTopLeft, w, c, tapsP, bias, innerStart, innerEnd, padding, dstRow);
                    else if (V256.IsAccelerated) Interior3x3<V256>(rowTopLeft, w, c, tapsP, bias, innerStart, innerEnd, padding, dstRow);
                    else Interior3x3<V128>(rowTopLeft, w, c, tapsP, bias, innerStart, innerEnd, padding, dstRow);
                }
                else innerEnd = innerStart;
                for (int ox = 0; ox < ow; ox++)
                {
                    if (ox == innerStart && innerEnd > innerStart) { ox = innerEnd - 1; continue; }
                    float* dst = y + (((long)b * oh + oy) * ow + ox) * c;
                    int live = 0;
                    if (rowInside && ox - padding >= 0 && ox - padding + k <= w)
                    {
                        float* topLeft = xb + ((long)(oy - padding) * w + (ox - padding)) * c;
                        for (int t = 0; t < k * k; t++) { src[t] = topLeft + offsetsP[t]; tapIndex[t] = t; }
                        live = k * k;
                    }
                    else
                        for (int ky = 0; ky < k; ky++)
                        {
                            int iy = oy - padding + ky;
                            if (replicate) iy = Math.Clamp(iy, 0, h - 1);
                            else if ((uint)iy >= (uint)h) continue;
                            for (int kx = 0; kx < k; kx++)
                            {
                                int ix = ox - padding + kx;
                                if (replicate) ix = Math.Clamp(ix, 0, w - 1);
                                else if ((uint)ix >= (uint)w) continue;
                                src[live] = xb + ((long)iy * w + ix) * c;
                                tapIndex[live++] = ky * k + kx;
                            }
                        }
                    if (V512.IsAccelerated) Pixel<V512>(src, tapIndex, live, tapsP, bias, c, dst);
                    else if (V256.IsAccelerated) Pixel<V256>(src, tapIndex, live, tapsP, bias, c, dst);
                    else Pixel<V128>(src, tapIndex, live, tapsP, bias, c, dst);
                }
            });
        }
    }

    /// <summary>Output pixels per block of <see cref="Interior3x3"/>: the nine tap registers are loaded once per block.</summary>
    private const int PixelBlock = 8;

    /// <summary>
    /// 3×3 windows that lie inside the image, output columns [start, end) of one row: for each block of
    /// <see cref="PixelBlock"/> pixels and each register of channels, the nine tap weights stay in registers while
    /// the block's pixels are summed, so a multiply-add costs one load instead of two. The sum per pixel runs over
    /// the taps in the same order as <see cref="Pixel"/>, so both paths give identical results.
    /// </summary>
    private static void Interior3x3<TV>(float* rowTopLeft, int w, int c, float* taps, float* bias, int start, int end, int padding,
        float* dstRow) where TV : unmanaged, ISimd<TV>
    {
        long pixel = c, line = (long)w * c;
        for (int x0 = start; x0 < end; x0 += PixelBlock)
        {
            int x1 = Math.Min(end, x0 + PixelBlock);
            int ch = 0;
            for (; ch + TV.Count <= c; ch += TV.Count)
            {
                var w0 = TV.Load(taps + ch); var w1 = TV.Load(taps + c + ch); var w2 = TV.Load(taps + 2 * c + ch);
                var w3 = TV.Load(taps + 3 * c + ch); var w4 = TV.Load(taps + 4 * c + ch); var w5 = TV.Load(taps + 5 * c + ch);
                var w6 = TV.Load(taps + 6 * c + ch); var w7 = TV.Load(taps + 7 * c + ch); var w8 = TV.Load(taps + 8 * c + ch);
                var b0 = bias != null ? TV.Load(bias + ch) : TV.Create(0f);
                for (int ox = x0; ox < x1; ox++)
                {
                    float* s = rowTopLeft + (ox - padding) * pixel + ch;
                    var a = TV.Fma(w0, TV.Load(s), b0);
                    a = TV.Fma(w1, TV.Load(s + pixel), a);
                    a = TV.Fma(w2, TV.Load(s + 2 * pixel), a);
                    a = TV.Fma(w3, TV.Load(s + line), a);
                    a = TV.Fma(w4, TV.Load(s + line + pixel), a);
                    a = TV.Fma(w5, TV.Load(s + line + 2 * pixel), a);
                    a = TV.Fma(w6, TV.Load(s + 2 * line), a);
                    a = TV.Fma(w7, TV.Load(s + 2 * line + pixel), a);
                    a = TV.Fma(w8, TV.Load(s + 2 * line + 2 * pixel), a);
                    TV.Store(a, dstRow + (long)ox * c + ch);
                }
            }
            for (; ch < c; ch++)
                for (int ox = x0; ox < x1; ox++)
                {
                    float* s = rowTopLeft + (ox - padding) * pixel + ch;
                    float a = bias != null ? bias[ch] : 0f;
                    for (int t = 0; t < 9; t++) a = MathF.FusedMultiplyAdd(taps[(long)t * c + ch], s[(t / 3) * line + (t % 3) * pixel], a);
                    dstRow[(long)ox * c + ch] = a;
                }
        }
    }

    private static void Pixel<TV>(float** src, int* tapIndex, int live, float* taps, float* bias, int c, float* dst)
        where TV : unmanaged, ISimd<TV>
    {
        int ch = 0;
        for (; ch + 4 * TV.Count <= c; ch += 4 * TV.Count)
        {
            TV a0, a1, a2, a3;
            if (bias != null)
            {
                a0 = TV.Load(bias + ch); a1 = TV.Load(bias + ch + TV.Count);
                a2 = TV.Load(bias + ch + 2 * TV.Count); a3 = TV.Load(bias + ch + 3 * TV.Count);
            }
            else a0 = a1 = a2 = a3 = TV.Create(0f);
            for (int t = 0; t < live; t++)
            {
                float* s = src[t] + ch;
                float* wt = taps + (long)tapIndex[t] * c + ch;
                a0 = TV.Fma(TV.Load(wt), TV.Load(s), a0);
                a1 = TV.Fma(TV.Load(wt + TV.Count), TV.Load(s + TV.Count), a1);
                a2 = TV.Fma(TV.Load(wt + 2 * TV.Count), TV.Load(s + 2 * TV.Count), a2);
                a3 = TV.Fma(TV.Load(wt + 3 * TV.Count), TV.Load(s + 3 * TV.Count), a3);
            }
            TV.Store(a0, dst + ch); TV.Store(a1, dst + ch + TV.Count);
            TV.Store(a2, dst + ch + 2 * TV.Count); TV.Store(a3, dst + ch + 3 * TV.Count);
        }
        for (; ch + TV.Count <= c; ch += TV.Count)
        {
            var a = bias != null ? TV.Load(bias + ch) : TV.Create(0f);
            for (int t = 0; t < live; t++)
                a = TV.Fma(TV.Load(taps + (long)tapIndex[t] * c + ch), TV.Load(src[t] + ch), a);
            TV.Store(a, dst + ch);
        }
        for (; ch < c; ch++)
        {
            float a = bias != null ? bias[ch] : 0f;
            for (int t = 0; t < live; t++) a = MathF.FusedMultiplyAdd(taps[(long)tapIndex[t] * c + ch], src[t][ch], a);
            dst[ch] = a;
        }
    }
}
