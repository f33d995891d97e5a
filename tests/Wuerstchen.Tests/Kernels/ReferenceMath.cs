namespace Wuerstchen.Tests.Kernels;

/// <summary>Double-precision references for functions .NET does not provide (erf, erfc).</summary>
public static class ReferenceMath
{
    /// <summary>erf to ~1e-15 relative.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        double r = ax < 2.5 ? ErfPositiveSeries(ax) : 1 - Erfc(ax);
        return Math.CopySign(r, x);
    }

    /// <summary>erfc to ~1e-15 relative (also deep in the tail).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 2.5) return 1 - Math.CopySign(ErfPositiveSeries(Math.Abs(x)), x);
        // Continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
        double f = x;
        for (int k = 200; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / (f * Math.Sqrt(Math.PI));
    }

    /// <summary>Standard normal CDF Φ(x) = erfc(−x/√2)/2.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    // erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)): every term positive, no cancellation.
    private static double ErfPositiveSeries(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; term > 1e-18 * sum || n == 0; n++)
        {
            sum += term;
            term *= 2 * x * x / (2 * n + 3);
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    public static double Gelu(double x) => x * NormalCdf(x);
    // 0.5·(1 + tanh z) written as 1/(1 + e^{−2z}): the same function without double cancellation for negative x.
    public static double GeluTanh(double x) => x / (1 + Math.Exp(-2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>|a − b| in units of the float spacing at b (ulp of the exact value).</summary>
    public static double Ulps(float actual, double exact)
    {
        if (double.IsNaN(exact)) return float.IsNaN(actual) ? 0 : double.PositiveInfinity;
        if (double.IsInfinity(exact)) return actual == exact ? 0 : double.PositiveInfinity;
        float f = (float)Math.Abs(exact);
        double ulp = Math.Max((double)MathF.BitIncrement(f) - f, float.Epsilon);
        return Math.Abs(actual - exact) / ulp;
    }
}
