namespace Wuerstchen.Rng;

/// <summary>
/// PyTorch's <c>normal_fill_16</c>: turns 16 uniforms in [0, 1) into 16 standard normals in place, pairing
/// element j with j + 8 (not neighbours): u1 = 1 − d[j] ∈ (0, 1], u2 = d[j+8], r = sqrt(−2 ln u1), θ = 2π u2,
/// d[j] = r cos θ, d[j+8] = r sin θ. One variant per dtype/kernel, each reproducing that kernel's rounding.
/// (torch applies <c>· std + mean</c>; with std 1 and mean 0 that step is exact and omitted.)
/// </summary>
internal static class BoxMuller
{
    private const float TwoPiFloat = (float)(2 * Math.PI);

    /// <summary>PyTorch's AVX2 kernel: float32 Cephes log/sincos, θ = float32(2π)·u2 in float32.</summary>
    public static void Fill16Avx2(Span<float> d)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - d[j], u2 = d[j + 8];
            float radius = MathF.Sqrt(-2f * CephesAvx2Math.Log(u1));
            CephesAvx2Math.SinCos(TwoPiFloat * u2, out float sin, out float cos);
            d[j] = radius * cos;
            d[j + 8] = radius * sin;
        }
    }

    /// <summary>PyTorch's portable kernel: libm float functions, θ = 2π·u2 evaluated in double then rounded.</summary>
    public static void Fill16Scalar(Span<float> d)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - d[j], u2 = d[j + 8];
            float radius = MathF.Sqrt(-2f * MathF.Log(u1));
            float theta = (float)(2.0 * Math.PI * u2);
            d[j] = radius * MathF.Cos(theta);
            d[j + 8] = radius * MathF.Sin(theta);
        }
    }

    /// <summary>float64 (both kernels): the same formula in double.</summary>
    public static void Fill16(Span<double> d)
    {
        for (int j = 0; j < 8; j++)
        {
            double u1 = 1 - d[j], u2 = d[j + 8];
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            double theta = 2.0 * Math.PI * u2;
            d[j] = radius * Math.Cos(theta);
            d[j + 8] = radius * Math.Sin(theta);
        }
    }

    /// <summary>
    /// float16: every named intermediate (u1, radius, θ) is stored as half; libm float functions in between;
    /// θ goes double → float → half as C++ narrows it; the final products are float, rounded once to half.
    /// </summary>
    public static void Fill16(Span<Half> d)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = (float)(Half)(1f - (float)d[j]);
            float u2 = (float)d[j + 8];
            float radius = (float)(Half)MathF.Sqrt(-2f * MathF.Log(u1));
            float theta = (float)(Half)(float)(2.0 * Math.PI * u2);
            d[j] = (Half)(radius * MathF.Cos(theta));
            d[j + 8] = (Half)(radius * MathF.Sin(theta));
        }
    }

    /// <summary>
    /// bfloat16 (as bit patterns): like float16, but c10 also overloads log/sqrt/cos/sin and the products for
    /// bfloat16, so each of those results is rounded to bfloat16 as well.
    /// </summary>
    public static void Fill16BFloat16(Span<ushort> d)
    {
        static float R(float x) => BFloat16Bits.Round(x);
        for (int j = 0; j < 8; j++)
        {
            float u1 = R(1f - BFloat16Bits.ToSingle(d[j]));
            float u2 = BFloat16Bits.ToSingle(d[j + 8]);
            float radius = R(MathF.Sqrt(R(-2f * R(MathF.Log(u1)))));
            float theta = R((float)(2.0 * Math.PI * u2));
            d[j] = BFloat16Bits.FromSingle(R(radius * R(MathF.Cos(theta))));
            d[j + 8] = BFloat16Bits.FromSingle(R(radius * R(MathF.Sin(theta))));
        }
    }
}
