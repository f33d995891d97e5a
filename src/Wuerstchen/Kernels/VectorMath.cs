using System.Runtime.CompilerServices;

namespace Wuerstchen.Kernels;

/// <summary>
/// Vectorised float32 transcendental functions, generic over the register width (<see cref="ISimd{TSelf}"/>).
/// Accuracy (worst case of dense sweeps against double references, pinned by the tests): exp 0.9 ulp, erf 2.4 ulp,
/// 1 + erf 4.4 ulp relative down to its underflow (the erfc tail stays accurate, which keeps GELU relatively accurate
/// for large negative inputs), tanh 1.4 ulp, sigmoid 2.2 ulp. Results that would be float subnormals are flushed
/// to zero.
/// </summary>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    // ln 2 split so that n·Ln2Hi is exact for |n| ≤ 2^9 (Cody–Waite range reduction).
    private const float Ln2Hi = 0.693145751953125f;
    private const float Ln2Lo = 1.42860682030941723212e-6f;
    private const float ExpOverflow = 88.72283935546875f;   // largest x with exp(x) finite
    private const float ExpUnderflow = -87.33654022216797f; // smallest x with exp(x) normal

    /// <summary>e^x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, ISimd<TV> => Exp(x, TV.Create(0f));

    /// <summary>
    /// e^(x + lo) where lo is a small correction (|lo| ≪ 1 ulp of x), added after the range reduction so that
    /// an argument known to more than float precision (e.g. −t² as an FMA-exact hi+lo pair) keeps its accuracy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x, TV lo) where TV : unmanaged, ISimd<TV>
    {
        // Native min/max: a NaN x clamps to a number here and is restored by the last select.
        var xc = TV.MinNative(TV.MaxNative(x, TV.Create(ExpUnderflow)), TV.Create(ExpOverflow));
        var n = TV.Round(xc * TV.Create(Log2E));                       // n ∈ [−126, 128]
        var r = TV.Fma(n, TV.Create(-Ln2Hi), xc);
        r = TV.Fma(n, TV.Create(-Ln2Lo), r) + lo;                      // |r| ≤ ln2/2 (+ lo)
        // Taylor series to r^7: truncation error r^8/8! < 6e-9 on |r| ≤ 0.347, below float resolution.
        var p = TV.Create(1f / 5040f);
        p = TV.Fma(p, r, TV.Create(1f / 720f));
        p = TV.Fma(p, r, TV.Create(1f / 120f));
        p = TV.Fma(p, r, TV.Create(1f / 24f));
        p = TV.Fma(p, r, TV.Create(1f / 6f));
        p = TV.Fma(p, r, TV.Create(0.5f));
        p = TV.Fma(p, r, TV.Create(1f));
        p = TV.Fma(p, r, TV.Create(1f));
        // 2^128 has no float exponent: scale by 2^(n−1) and double the result for n > 0.
        var positive = TV.GreaterThan(n, TV.Create(0f));
        var y = TV.ScaleByPow2(p, TV.Select(positive, n - TV.Create(1f), n));
        y = TV.Select(positive, y + y, y);
        y = TV.Select(TV.GreaterThan(x, TV.Create(ExpOverflow)), TV.Create(float.PositiveInfinity), y);
        y = TV.Select(TV.LessThan(x, TV.Create(ExpUnderflow)), TV.Create(0f), y);
        return TV.Select(TV.IsNaN(x), x, y);
    }

    /// <summary>1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TV>(TV x) where TV : unmanaged, ISimd<TV> =>
        TV.Create(1f) / (TV.Create(1f) + Exp(-x));

    // erf on |x| < ErfSmall: x·S(x²), S fitted (weighted least squares, Chebyshev nodes) to erf(√w)/√w on [0, 1/4].
    private const float ErfSmall = 0.5f;
    private const float S0 = 1.1283792f, S1 = -0.37612638f, S2 = 0.11283774f, S3 = -0.026863113f, S4 = 0.0052002757f, S5 = -0.0007692331f;

    // erfc on t ≥ ErfSmall: u·Q(u)·e^(−t²) with u = 1/(1 + t/2), Q fitted to erfc(t)·e^(t²)/u on u ∈ (0, 0.8].
    // (Q is smooth on the whole half-line, so one polynomial covers t up to the underflow of erfc at t ≈ 9.2.)
    private const float Q0 = 0.2820948f, Q1 = 0.28209427f, Q2 = 0.24686065f, Q3 = 0.17573097f, Q4 = 0.08985544f,
        Q5 = -0.041406784f, Q6 = 0.07917603f, Q7 = -0.3580922f, Q8 = 0.3873825f, Q9 = -0.17050387f, Q10 = 0.026780358f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfSmallPoly<TV>(TV x) where TV : unmanaged, ISimd<TV>
    {
        var w = x * x;
        var s = TV.Create(S5);
        s = TV.Fma(s, w, TV.Create(S4));
        s = TV.Fma(s, w, TV.Create(S3));
        s = TV.Fma(s, w, TV.Create(S2));
        s = TV.Fma(s, w, TV.Create(S1));
        s = TV.Fma(s, w, TV.Create(S0));
        return x * s;
    }

    /// <summary>
    /// erfc(t) for t ≥ 0.5 (any t ≥ 0 is safe to evaluate; accuracy is guaranteed from 0.5 on), given t² as an
    /// unevaluated sum hi + lo: erfc falls like e^(−t²), so a rounding of t² (or of t) shows up amplified by 2t².
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcTail<TV>(TV t, TV squareHi, TV squareLo) where TV : unmanaged, ISimd<TV>
    {
        var u = TV.Create(1f) / TV.Fma(t, TV.Create(0.5f), TV.Create(1f));
        var q = TV.Create(Q10);
        q = TV.Fma(q, u, TV.Create(Q9));
        q = TV.Fma(q, u, TV.Create(Q8));
        q = TV.Fma(q, u, TV.Create(Q7));
        q = TV.Fma(q, u, TV.Create(Q6));
        q = TV.Fma(q, u, TV.Create(Q5));
        q = TV.Fma(q, u, TV.Create(Q4));
        q = TV.Fma(q, u, TV.Create(Q3));
        q = TV.Fma(q, u, TV.Create(Q2));
        q = TV.Fma(q, u, TV.Create(Q1));
        q = TV.Fma(q, u, TV.Create(Q0));
        return u * q * Exp(-squareHi, -squareLo);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcTail<TV>(TV t) where TV : unmanaged, ISimd<TV>
    {
        var hi = t * t;
        return ErfcTail(t, hi, TV.Fma(t, t, -hi));                     // t² = hi + lo exactly
    }

    /// <summary>The error function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Erf<TV>(TV x) where TV : unmanaged, ISimd<TV>
    {
        var ax = TV.Abs(x);
        var sign = x ^ ax;                                             // the sign bit of x
        var large = (TV.Create(1f) - ErfcTail(ax)) | sign;
        var y = TV.Select(TV.LessThan(ax, TV.Create(ErfSmall)), ErfSmallPoly(x), large);
        return TV.Select(TV.IsNaN(x), x, y);
    }

    /// <summary>
    /// 2·Φ(x) = 1 + erf(x/√2), the GELU gate, accurate (relative) also for large negative x where it equals
    /// erfc(|x|/√2). The exponent x²/2 is formed exactly from x (x·x split by an FMA, halving is exact), so the
    /// rounding of x/√2 never reaches the exponential.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV OnePlusErfOfScaled<TV>(TV x) where TV : unmanaged, ISimd<TV>
    {
        var z = x * TV.Create(0.70710678118654752f);
        var az = TV.Abs(z);
        var xx = x * x;
        var half = TV.Create(0.5f);
        var tail = ErfcTail(az, xx * half, TV.Fma(x, x, -xx) * half);
        var large = TV.Select(TV.LessThan(z, TV.Create(0f)), tail, TV.Create(2f) - tail);
        var y = TV.Select(TV.LessThan(az, TV.Create(ErfSmall)), TV.Create(1f) + ErfSmallPoly(z), large);
        return TV.Select(TV.IsNaN(x), x, y);
    }

    /// <summary>1 + erf(z), accurate (relative) also for large negative z where it equals erfc(−z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV OnePlusErf<TV>(TV z) where TV : unmanaged, ISimd<TV>
    {
        var az = TV.Abs(z);
        var tail = ErfcTail(az);
        var large = TV.Select(TV.LessThan(z, TV.Create(0f)), tail, TV.Create(2f) - tail);
        var y = TV.Select(TV.LessThan(az, TV.Create(ErfSmall)), TV.Create(1f) + ErfSmallPoly(z), large);
        return TV.Select(TV.IsNaN(z), z, y);
    }

    // tanh on |x| < TanhSmall: x·T(x²), T fitted to tanh(√w)/√w on [0, 0.3025].
    private const float TanhSmall = 0.55f;
    private const float T0 = 1f, T1 = -0.3333333f, T2 = 0.13333286f, T3 = -0.053958714f, T4 = 0.021777555f, T5 = -0.008399778f, T6 = 0.002381204f;

    /// <summary>Hyperbolic tangent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TV>(TV x) where TV : unmanaged, ISimd<TV>
    {
        var ax = TV.Abs(x);
        var sign = x ^ ax;
        var w = x * x;
        var s = TV.Create(T6);
        s = TV.Fma(s, w, TV.Create(T5));
        s = TV.Fma(s, w, TV.Create(T4));
        s = TV.Fma(s, w, TV.Create(T3));
        s = TV.Fma(s, w, TV.Create(T2));
        s = TV.Fma(s, w, TV.Create(T1));
        s = TV.Fma(s, w, TV.Create(T0));
        // 1 − 2/(e^{2|x|} + 1): no cancellation once tanh ≥ 0.5; e^{2|x|} = ∞ gives exactly 1.
        var large = (TV.Create(1f) - TV.Create(2f) / (Exp(ax + ax) + TV.Create(1f))) | sign;
        var y = TV.Select(TV.LessThan(ax, TV.Create(TanhSmall)), x * s, large);
        return TV.Select(TV.IsNaN(x), x, y);
    }
}
