using System.Runtime.Intrinsics;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// Gradients of the normalisations. Statistics are recomputed from the saved input in double (the forward
/// stores none), so the backward does not depend on how the forward kernel rounded them.
/// </summary>
internal static unsafe class NormBackward
{
    /// <summary>
    /// ∂x of y = (x − μ)/√(σ² + eps)·w (w optional; biased σ²) normalising over D elements at
    /// (o·D + d)·inner + i: LayerNorm has inner = 1, LayerNorm2d on NCHW has D = C, inner = H·W.
    /// Per group: ∂x = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w.
    /// </summary>
    public static Tensor Input(Tensor g, Tensor x, Tensor? weight, int outer, int d, int inner, float eps)
    {
        var gx = Tensor.Empty(x.Shape);
        using var xd = new Dense(x);
        using var wd = weight is null ? default : new Dense(weight);
        float* xp = xd.Data, gp = g.Data, gxp = gx.Data, wp = weight is null ? null : wd.Data;
        if (inner == 1)
        {
            Blocks.For(outer, 64, (start, end) =>
            {
                for (long r = start; r < end; r++) RowInput(xp + r * d, gp + r * d, wp, gxp + r * d, d, eps);
            });
            return gx;
        }

        // Normalising across strided elements (LayerNorm2d on NCHW): a tile of neighbouring positions i at a time,
        // walking the D planes in order, so every read is contiguous. Each position's sums run over k in the same
        // order as for a single position, so the result is the same to the bit.
        const int Tile = 64;
        int tiles = (inner + Tile - 1) / Tile;
        Blocks.For((long)outer * tiles, 1, (start, end) =>
        {
            Span<double> mean = stackalloc double[Tile], rstd = stackalloc double[Tile];
            Span<double> sumG = stackalloc double[Tile], sumGx = stackalloc double[Tile];
            for (long task = start; task < end; task++)
            {
                long o = task / tiles;
                int i0 = (int)(task % tiles) * Tile, n = Math.Min(Tile, inner - i0);
                float* xo = xp + o * d * inner + i0, go = gp + o * d * inner + i0, gxo = gxp + o * d * inner + i0;
                mean.Clear(); rstd.Clear(); sumG.Clear(); sumGx.Clear();
                for (int k = 0; k < d; k++)
                    for (int i = 0; i < n; i++) mean[i] += xo[(long)k * inner + i];
                for (int i = 0; i < n; i++) mean[i] /= d;
                for (int k = 0; k < d; k++)
                    for (int i = 0; i < n; i++) { double c = xo[(long)k * inner + i] - mean[i]; rstd[i] += c * c; }
                for (int i = 0; i < n; i++) rstd[i] = 1.0 / Math.Sqrt(rstd[i] / d + eps);
                for (int k = 0; k < d; k++)
                {
                    double wk = wp is null ? 1.0 : wp[k];
                    for (int i = 0; i < n; i++)
                    {
                        long at = (long)k * inner + i;
                        double xhat = (xo[at] - mean[i]) * rstd[i], gh = go[at] * wk;
                        sumG[i] += gh;
                        sumGx[i] += gh * xhat;
                    }
                }
                for (int i = 0; i < n; i++) { sumG[i] /= d; sumGx[i] /= d; }
                for (int k = 0; k < d; k++)
                {
                    double wk = wp is null ? 1.0 : wp[k];
                    for (int i = 0; i < n; i++)
                    {
                        long at = (long)k * inner + i;
                        double xhat = (xo[at] - mean[i]) * rstd[i], gh = go[at] * wk;
                        gxo[at] = (float)(rstd[i] * (gh - sumG[i] - xhat * sumGx[i]));
                    }
                }
            }
        });
        return gx;
    }

    /// <summary>
    /// One contiguous row of <see cref="Input"/>: the statistics and the two sums in double, 4 lanes at a time
    /// (lane-wise partial sums, then added across lanes; the order differs from a scalar loop only in the last bits
    /// of the double sums, and does not depend on the thread count).
    /// </summary>
    private static void RowInput(float* x, float* g, float* w, float* gx, int d, float eps)
    {
        const int L = 4;
        int k = 0;
        var acc = Vector256<double>.Zero;
        for (; k + L <= d; k += L) acc += Lanes.Widen(x + k);
        double sum = Vector256.Sum(acc);
        for (; k < d; k++) sum += x[k];
        double mean = sum / d;
        var vMean = Vector256.Create(mean);
        acc = Vector256<double>.Zero;
        for (k = 0; k + L <= d; k += L) { var c = Lanes.Widen(x + k) - vMean; acc += c * c; }
        double sq = Vector256.Sum(acc);
        for (; k < d; k++) { double c = x[k] - mean; sq += c * c; }
        double rstd = 1.0 / Math.Sqrt(sq / d + eps);
        var vRstd = Vector256.Create(rstd);

        var accG = Vector256<double>.Zero;
        var accGx = Vector256<double>.Zero;
        for (k = 0; k + L <= d; k += L)
        {
            var gh = w is null ? Lanes.Widen(g + k) : Lanes.Widen(g + k) * Lanes.Widen(w + k);
            accG += gh;
            accGx += gh * ((Lanes.Widen(x + k) - vMean) * vRstd);
        }
        double sumG = Vector256.Sum(accG), sumGx = Vector256.Sum(accGx);
        for (; k < d; k++)
        {
            double gh = g[k] * (w is null ? 1.0 : w[k]);
            sumG += gh;
            sumGx += gh * ((x[k] - mean) * rstd);
        }
        double mg = sumG / d, mgx = sumGx / d;
        var vMg = Vector256.Create(mg);
        var vMgx = Vector256.Create(mgx);
        for (k = 0; k + L <= d; k += L)
        {
            var gh = w is null ? Lanes.Widen(g + k) : Lanes.Widen(g + k) * Lanes.Widen(w + k);
            var xhat = (Lanes.Widen(x + k) - vMean) * vRstd;
            var v = vRstd * (gh - vMg - xhat * vMgx);
            Lanes.StoreNarrowed(v, gx + k);
        }
        for (; k < d; k++)
        {
            double gh = g[k] * (w is null ? 1.0 : w[k]);
            gx[k] = (float)(rstd * (gh - mg - (x[k] - mean) * rstd * mgx));
        }
    }

    /// <summary>∂w = Σ g·x̂ over all rows of a last-dim LayerNorm; returned in <paramref name="shape"/> (D elements).</summary>
    public static Tensor Weight(Tensor g, Tensor x, int rows, int d, float eps, ReadOnlySpan<int> shape)
    {
        var stats = new (double Mean, double Rstd)[rows];
        using var xd = new Dense(x);
        float* xp = xd.Data, gp = g.Data;
        Blocks.For(rows, 64, (s, e) => { for (long r = s; r < e; r++) stats[r] = Moments(xp + r * d, d, 1, eps); });
        var gw = Tensor.Empty(shape);
        float* wp = gw.Data;
        ColumnBlocks(d, (k0, k1) => // each column's sum runs over the rows in order; rows are read contiguously
        {
            var acc = new double[k1 - k0];
            for (int r = 0; r < rows; r++)
            {
                float* gr = gp + (long)r * d, xr = xp + (long)r * d;
                var (mean, rstd) = stats[r];
                for (int k = k0; k < k1; k++) acc[k - k0] += gr[k] * (xr[k] - mean) * rstd;
            }
            for (int k = k0; k < k1; k++) wp[k] = (float)acc[k - k0];
        });
        return gw;
    }

    /// <summary>Σ over rows of a [rows, D] gradient (LayerNorm bias, GRN beta): returned in <paramref name="shape"/>.</summary>
    public static Tensor ColumnSum(Tensor g, int rows, int d, ReadOnlySpan<int> shape)
    {
        var gb = Tensor.Empty(shape);
        float* gp = g.Data, bp = gb.Data;
        ColumnBlocks(d, (k0, k1) =>
        {
            var acc = new double[k1 - k0];
            fixed (double* a = acc)
                for (int r = 0; r < rows; r++) Lanes.AddWidened(a, gp + (long)r * d + k0, k1 - k0);
            for (int k = k0; k < k1; k++) bp[k] = (float)acc[k - k0];
        });
        return gb;
    }

    /// <summary>
    /// Splits D columns into a block per thread (at least 16 columns each): column sums then walk the rows in order
    /// with contiguous reads, and each column's sum is the same whatever the split.
    /// </summary>
    private static void ColumnBlocks(int d, Action<int, int> body)
    {
        int blocks = Math.Clamp(d / 16, 1, Math.Max(1, Threads.Available));
        int size = (d + blocks - 1) / blocks;
        Threads.For(blocks, bl => { int k0 = bl * size, k1 = Math.Min(d, k0 + size); if (k0 < k1) body(k0, k1); });
    }

    private static (double Mean, double Rstd) Moments(float* x, int d, long stride, float eps)
    {
        double sum = 0;
        for (int k = 0; k < d; k++) sum += x[k * stride];
        double mean = sum / d, sq = 0;
        for (int k = 0; k < d; k++) { double c = x[k * stride] - mean; sq += c * c; }
        return (mean, 1.0 / Math.Sqrt(sq / d + eps));
    }

    // ---------------------------------------------------------------- GRN

    /// <summary>
    /// Gradients of ConvNeXt-V2 GRN on channels-last x [B, H, W, D]: G_d = ‖x_{·,d}‖₂ over H·W, N_d = G_d/(mean_d G + 1e-6),
    /// y = γ·(x·N) + β + x. With S_d = Σ_p g·γ·x (= ∂L/∂N_d) and m = mean G + 1e-6:
    /// ∂L/∂G_k = S_k/m − Σ_d S_d·G_d/(D·m²); ∂x = g·(γN + 1) + ∂L/∂G·x/G (0 where G = 0, as torch's norm backward).
    /// Returns (∂x, ∂γ, ∂β), each only when asked.
    /// </summary>
    public static (Tensor? X, Tensor? Gamma, Tensor? Beta) Grn(Tensor g, Tensor x, Tensor gamma, bool needX, bool needGamma, bool needBeta,
        ReadOnlySpan<int> gammaShape, ReadOnlySpan<int> betaShape)
    {
        int b = x.Shape[0], d = x.Shape[^1];
        long p = x.Numel / ((long)b * d);
        using var xd = new Dense(x);
        using var gd = new Dense(gamma);
        float* xp = xd.Data, gp = g.Data, gam = gd.Data;
        var n = new double[b * d];
        var dG = new double[b * d];
        var norm = new double[b * d];
        var gx1 = new double[b * d];   // Σ_p g·x per image and channel (∂γ before the factor N)
        Threads.For(b, bi =>
        {
            float* xb = xp + bi * p * d, gb = gp + bi * p * d;
            var s = new Span<double>(gx1, bi * d, d);
            var sq = new Span<double>(norm, bi * d, d);
            fixed (double* sp = s, qp = sq)
                for (long q = 0; q < p; q++)
                {
                    float* xr = xb + q * d, gr = gb + q * d;
                    Lanes.AccumulateProducts(qp, xr, xr, d);
                    Lanes.AccumulateProducts(sp, gr, xr, d);
                }
            double mean = 0;
            for (int k = 0; k < d; k++) { norm[bi * d + k] = Math.Sqrt(norm[bi * d + k]); mean += norm[bi * d + k]; }
            double m = mean / d + 1e-6, cross = 0;
            for (int k = 0; k < d; k++)
            {
                double sk = s[k] * gam[k];
                n[bi * d + k] = norm[bi * d + k] / m;
                cross += sk * norm[bi * d + k];
            }
            for (int k = 0; k < d; k++) dG[bi * d + k] = s[k] * gam[k] / m - cross / (d * m * m);
        });

        Tensor? gx = null, gGamma = null, gBeta = null;
        if (needX)
        {
            gx = Tensor.Empty(x.Shape);
            float* gxp = gx.Data;
            var scale = new double[b * d];   // γ·N + 1, the direct path's factor
            for (int j = 0; j < b * d; j++) scale[j] = gam[j % d] * n[j] + 1;
            Blocks.For((long)b * p, 256, (s, e) =>
            {
                fixed (double* np = norm, dp = dG, cp = scale)
                    for (long r = s; r < e; r++)
                    {
                        long bi = r / p;
                        int j0 = (int)(bi * d), k = 0;
                        float* xr = xp + r * d, gr = gp + r * d, gxr = gxp + r * d;
                        for (; k + 4 <= d; k += 4)
                        {
                            var nv = Vector256.Load(np + j0 + k);
                            var viaNorm = Vector256.ConditionalSelect(Vector256.GreaterThan(nv, Vector256<double>.Zero),
                                Vector256.Load(dp + j0 + k) * Lanes.Widen(xr + k) / nv, Vector256<double>.Zero);
                            var v = Lanes.Widen(gr + k) * Vector256.Load(cp + j0 + k) + viaNorm;
                            Lanes.StoreNarrowed(v, gxr + k);
                        }
                        for (; k < d; k++)
                        {
                            int j = j0 + k;
                            double viaNorm = norm[j] > 0 ? dG[j] * xr[k] / norm[j] : 0;
                            gxr[k] = (float)(gr[k] * scale[j] + viaNorm);
                        }
                    }
            });
        }
        if (needGamma)
        {
            gGamma = Tensor.Empty(gammaShape);
            float* o = gGamma.Data;
            for (int k = 0; k < d; k++)
            {
                double s = 0;
                for (int bi = 0; bi < b; bi++) s += gx1[bi * d + k] * n[bi * d + k];
                o[k] = (float)s;
            }
        }
        if (needBeta) gBeta = ColumnSum(g, (int)(b * p), d, betaShape);
        return (gx, gGamma, gBeta);
    }

    // ---------------------------------------------------------------- BatchNorm2d (running statistics)

    /// <summary>
    /// Gradients of inference-mode BatchNorm2d on NCHW: y = (x − μ_c)·rstd_c·w_c + b_c with the running statistics
    /// (constants, no gradient): ∂x = g·w·rstd, ∂w_c = Σ g·(x − μ_c)·rstd_c, ∂b_c = Σ g.
    /// </summary>
    public static (Tensor? X, Tensor? Weight, Tensor? Bias) BatchNormEval(Tensor g, Tensor? x, Tensor runningMean, Tensor runningVar,
        Tensor? weight, float eps, bool needX, bool needWeight, bool needBias, ReadOnlySpan<int> weightShape, ReadOnlySpan<int> biasShape)
    {
        int n = g.Shape[0], c = g.Shape[1];
        long hw = g.Numel / Math.Max(1, (long)n * c);
        var mean = runningMean.ToArray();
        var rstd = runningVar.ToArray().Select(v => 1.0 / Math.Sqrt(v + (double)eps)).ToArray();
        var w = weight?.ToArray();
        float* gp = g.Data;
        Tensor? gx = null, gw = null, gb = null;
        if (needX)
        {
            gx = Tensor.Empty(g.Shape);
            float* gxp = gx.Data;
            Threads.For(n * c, plane =>
            {
                int ch = plane % c;
                float scale = (float)(rstd[ch] * (w?[ch] ?? 1.0));
                for (long i = 0; i < hw; i++) gxp[plane * hw + i] = gp[plane * hw + i] * scale;
            });
        }
        if (needWeight)
        {
            using var xd = new Dense(x!);
            float* xp = xd.Data;
            gw = Tensor.Empty(weightShape);
            float* o = gw.Data;
            Threads.For(c, ch =>
            {
                double s = 0;
                for (int i = 0; i < n; i++)
                    for (long j = 0; j < hw; j++)
                    {
                        long e = ((long)i * c + ch) * hw + j;
                        s += gp[e] * (xp[e] - mean[ch]);
                    }
                o[ch] = (float)(s * rstd[ch]);
            });
        }
        if (needBias) gb = ConvBackward.BiasGrad(g, biasShape);
        return (gx, gw, gb);
    }
}
