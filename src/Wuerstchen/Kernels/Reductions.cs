using System.Runtime.CompilerServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// Sums, sums of squares and maxima of contiguous float data. Sums accumulate in float registers over blocks of
/// <see cref="Block"/> elements and add the block totals in double, so the error stays at a few ulp of the result
/// for any length (a plain float running sum over 10⁶ elements loses ~3 digits).
/// </summary>
public static unsafe class Reductions
{
    internal const int Block = 1024;

    /// <summary>Σ x[i], i &lt; n.</summary>
    public static double Sum(float* x, long n) => SumCore<Plain>(x, n, 0f);

    /// <summary>Σ x[i]², i &lt; n.</summary>
    public static double SumSquares(float* x, long n) => SumCore<Squared>(x, n, 0f);

    /// <summary>Σ (x[i] − shift), i &lt; n: refines a mean estimate (the differences are exact near the mean).</summary>
    public static double SumDeviations(float* x, long n, float shift) => SumCore<Deviation>(x, n, shift);

    /// <summary>Σ (x[i] − shift)², i &lt; n (the second pass of a two-pass variance).</summary>
    public static double SumSquaredDeviations(float* x, long n, float shift) => SumCore<Shifted>(x, n, shift);

    /// <summary>
    /// The mean of x as an unevaluated float pair hi + lo: a first estimate is refined by the sum of deviations
    /// from it, and hi + lo carries more than float precision, so x − hi − lo stays accurate when the mean is
    /// large compared with the spread (hi is within an ulp of x, so x − hi is exact).
    /// </summary>
    public static (float Hi, float Lo) Mean(float* x, long n)
    {
        float first = (float)(Sum(x, n) / n);
        double mean = first + SumDeviations(x, n, first) / n;
        float hi = (float)mean;
        return (hi, (float)(mean - hi));
    }

    /// <summary>max x[i] (NaN if any element is NaN, as torch); −∞ for n = 0.</summary>
    public static float Max(float* x, long n)
    {
        if (V512.IsAccelerated) return MaxCore<V512>(x, n);
        if (V256.IsAccelerated) return MaxCore<V256>(x, n);
        return MaxCore<V128>(x, n);
    }

    /// <summary>
    /// Index of the largest (or smallest) of x[0..n): the first one on ties; a NaN counts as the extreme and the
    /// first NaN wins, as torch.argmax/argmin do.
    /// </summary>
    public static int ArgExtreme(float* x, int n, bool max)
    {
        int best = 0;
        float bestValue = x[0];
        if (float.IsNaN(bestValue)) return 0;
        for (int i = 1; i < n; i++)
        {
            float v = x[i];
            if (float.IsNaN(v)) return i;
            if (max ? v > bestValue : v < bestValue) { best = i; bestValue = v; }
        }
        return best;
    }

    /// <summary>
    /// y[o·inner + j] = Σ_k x[(o·r + k)·inner + j] over k &lt; r — the reduction of the middle dim of an
    /// [outer, r, inner] block (optionally of squares), vectorised across the contiguous inner dim.
    /// </summary>
    public static void SumMiddle(float* x, long outer, long r, long inner, bool squares, double* y)
    {
        for (long o = 0; o < outer; o++)
            for (long j0 = 0; j0 < inner; j0 += ColumnStrip)
            {
                int w = (int)Math.Min(ColumnStrip, inner - j0);
                new Span<double>(y + o * inner + j0, w).Clear();
                AccumulateColumns(x + o * r * inner + j0, inner, r, w, y + o * inner + j0, null, squares);
            }
    }

    /// <summary>Widest column strip <see cref="AccumulateColumns"/> accepts.</summary>
    public const int ColumnStrip = 512;

    /// <summary>
    /// acc[j] += Σ_k f(src[k·stride + j]) for j &lt; width (≤ <see cref="ColumnStrip"/>), k &lt; rows, with
    /// f(v) = v − shift[j], squared when <paramref name="squares"/> is set (shift optional). Vectorised across
    /// the strip; float partial sums over 64 rows at a time are added into the double accumulators.
    /// </summary>
    public static void AccumulateColumns(float* src, long stride, long rows, int width, double* acc, float* shift, bool squares)
    {
        if (width > ColumnStrip) throw new ArgumentOutOfRangeException(nameof(width), $"Column strip {width} exceeds {ColumnStrip}.");
        float* part = stackalloc float[ColumnStrip];
        for (long k0 = 0; k0 < rows; k0 += 64)
        {
            long k1 = Math.Min(rows, k0 + 64);
            new Span<float>(part, width).Clear();
            if (V512.IsAccelerated) ColumnsCore<V512>(src, stride, k0, k1, width, part, shift, squares);
            else if (V256.IsAccelerated) ColumnsCore<V256>(src, stride, k0, k1, width, part, shift, squares);
            else ColumnsCore<V128>(src, stride, k0, k1, width, part, shift, squares);
            for (int j = 0; j < width; j++) acc[j] += part[j];
        }
    }

    private static void ColumnsCore<TV>(float* src, long stride, long k0, long k1, int width, float* part, float* shift, bool squares)
        where TV : unmanaged, ISimd<TV>
    {
        int vw = width - width % TV.Count;
        for (long k = k0; k < k1; k++)
        {
            float* row = src + k * stride;
            if (!squares && shift == null)
            {
                for (int j = 0; j < vw; j += TV.Count) TV.Store(TV.Load(part + j) + TV.Load(row + j), part + j);
                for (int j = vw; j < width; j++) part[j] += row[j];
            }
            else if (!squares)
            {
                for (int j = 0; j < vw; j += TV.Count) TV.Store(TV.Load(part + j) + (TV.Load(row + j) - TV.Load(shift + j)), part + j);
                for (int j = vw; j < width; j++) part[j] += row[j] - shift[j];
            }
            else if (shift == null)
            {
                for (int j = 0; j < vw; j += TV.Count) { var v = TV.Load(row + j); TV.Store(TV.Fma(v, v, TV.Load(part + j)), part + j); }
                for (int j = vw; j < width; j++) part[j] = MathF.FusedMultiplyAdd(row[j], row[j], part[j]);
            }
            else
            {
                for (int j = 0; j < vw; j += TV.Count) { var v = TV.Load(row + j) - TV.Load(shift + j); TV.Store(TV.Fma(v, v, TV.Load(part + j)), part + j); }
                for (int j = vw; j < width; j++) { float v = row[j] - shift[j]; part[j] = MathF.FusedMultiplyAdd(v, v, part[j]); }
            }
        }
    }

    /// <summary>y[o·inner + j] = max over k &lt; r of x[(o·r + k)·inner + j].</summary>
    public static void MaxMiddle(float* x, long outer, long r, long inner, float* y)
    {
        for (long o = 0; o < outer; o++)
        {
            float* m = y + o * inner;
            new Span<float>(m, (int)inner).Fill(float.NegativeInfinity);
            for (long k = 0; k < r; k++)
            {
                float* row = x + (o * r + k) * inner;
                for (long j = 0; j < inner; j++) m[j] = MathF.Max(m[j], row[j]);
            }
        }
    }

    // ---------------------------------------------------------------- cores

    private interface ITerm { static abstract TV Of<TV>(TV x, TV shift) where TV : unmanaged, ISimd<TV>; }
    private readonly struct Plain : ITerm { public static TV Of<TV>(TV x, TV s) where TV : unmanaged, ISimd<TV> => x; }
    private readonly struct Squared : ITerm { public static TV Of<TV>(TV x, TV s) where TV : unmanaged, ISimd<TV> => x * x; }
    private readonly struct Deviation : ITerm { public static TV Of<TV>(TV x, TV s) where TV : unmanaged, ISimd<TV> => x - s; }
    private readonly struct Shifted : ITerm { public static TV Of<TV>(TV x, TV s) where TV : unmanaged, ISimd<TV> { var d = x - s; return d * d; } }

    private static double SumCore<TTerm>(float* x, long n, float shift) where TTerm : struct, ITerm
    {
        if (V512.IsAccelerated) return SumCore<TTerm, V512>(x, n, shift);
        if (V256.IsAccelerated) return SumCore<TTerm, V256>(x, n, shift);
        return SumCore<TTerm, V128>(x, n, shift);
    }

    private static double SumCore<TTerm, TV>(float* x, long n, float shift) where TTerm : struct, ITerm where TV : unmanaged, ISimd<TV>
    {
        double total = 0;
        var s = TV.Create(shift);
        long i = 0;
        for (; i + Block <= n; i += Block)
        {
            // Block is a multiple of 4 registers for every width.
            var a0 = TV.Create(0f); var a1 = a0; var a2 = a0; var a3 = a0;
            for (int j = 0; j < Block; j += 4 * TV.Count)
            {
                a0 += TTerm.Of(TV.Load(x + i + j), s);
                a1 += TTerm.Of(TV.Load(x + i + j + TV.Count), s);
                a2 += TTerm.Of(TV.Load(x + i + j + 2 * TV.Count), s);
                a3 += TTerm.Of(TV.Load(x + i + j + 3 * TV.Count), s);
            }
            total += TV.Sum((a0 + a1) + (a2 + a3));
        }
        if (i < n)
        {
            var a = TV.Create(0f);
            for (; i + TV.Count <= n; i += TV.Count) a += TTerm.Of(TV.Load(x + i), s);
            float tail = TV.Sum(a);
            for (; i < n; i++)
            {
                float d = x[i] - shift;
                tail += typeof(TTerm) == typeof(Plain) ? x[i] : typeof(TTerm) == typeof(Deviation) ? d : typeof(TTerm) == typeof(Squared) ? x[i] * x[i] : d * d;
            }
            total += tail;
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxCore<TV>(float* x, long n) where TV : unmanaged, ISimd<TV>
    {
        float m = float.NegativeInfinity;
        long i = 0;
        if (n >= TV.Count)
        {
            var a = TV.Load(x);
            for (i = TV.Count; i + TV.Count <= n; i += TV.Count) a = TV.Max(a, TV.Load(x + i));
            m = TV.MaxAcross(a);
        }
        for (; i < n; i++) m = MathF.Max(m, x[i]);
        return m;
    }
}
