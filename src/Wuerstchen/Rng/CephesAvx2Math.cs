namespace Wuerstchen.Rng;

/// <summary>
/// One lane of the float32 <c>log256_ps</c> and <c>sincos256_ps</c> routines of avx_mathfun.h (Cephes polynomials)
/// exactly as PyTorch's AVX2 build computes them: every step rounded to float32, and a fused multiply-add wherever
/// gcc contracted a multiply into the following add or subtract. gcc's FMA pass visits multiplies in source order
/// and fuses one whose only use is an add/sub, so e.g. in <c>y·z + e·q1</c> it is <c>y·z</c> that fuses (with
/// <c>e·q1</c> rounded first). The contraction pattern was confirmed bit for bit against PyTorch's own output
/// (vectors/rng.safetensors, 84k values); the nearby alternatives each change some of them.
/// </summary>
internal static class CephesAvx2Math
{
    // Constants are double literals narrowed to float, as C's float array initialisers narrow them.
    private const float MinNormal = 1.17549435E-38f; // 0x00800000
    private const float SqrtHalf = (float)0.707106781186547524;
    private const float LogP0 = (float)7.0376836292E-2, LogP1 = (float)-1.1514610310E-1, LogP2 = (float)1.1676998740E-1;
    private const float LogP3 = (float)-1.2420140846E-1, LogP4 = (float)1.4249322787E-1, LogP5 = (float)-1.6668057665E-1;
    private const float LogP6 = (float)2.0000714765E-1, LogP7 = (float)-2.4999993993E-1, LogP8 = (float)3.3333331174E-1;
    private const float LogQ1 = (float)-2.12194440e-4, LogQ2 = (float)0.693359375;

    private const float FourOverPi = (float)1.27323954473516;
    private const float MinusDp1 = (float)-0.78515625, MinusDp2 = (float)-2.4187564849853515625e-4, MinusDp3 = (float)-3.77489497744594108e-8;
    private const float SinP0 = (float)-1.9515295891E-4, SinP1 = (float)8.3321608736E-3, SinP2 = (float)-1.6666654611E-1;
    private const float CosP0 = (float)2.443315711809948E-005, CosP1 = (float)-1.388731625493765E-003, CosP2 = (float)4.166664568298827E-002;

    private static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary>Natural logarithm; NaN for x ≤ 0.</summary>
    public static float Log(float x)
    {
        bool invalid = x <= 0;
        x = MathF.Max(x, MinNormal); // no denormals
        int bits = BitConverter.SingleToInt32Bits(x);
        float e = ((int)((uint)bits >> 23) - 0x7F) + 1f;
        x = BitConverter.Int32BitsToSingle((bits & ~0x7F800000) | BitConverter.SingleToInt32Bits(0.5f)); // mantissa in [0.5, 1)

        // x < sqrt(1/2): e -= 1, x = x + x - 1; otherwise x = x - 1
        bool small = x < SqrtHalf;
        float tmp = small ? x : 0f;
        x -= 1f;
        e -= small ? 1f : 0f;
        x += tmp;

        float z = x * x;
        float y = Fma(LogP0, x, LogP1);
        y = Fma(y, x, LogP2);
        y = Fma(y, x, LogP3);
        y = Fma(y, x, LogP4);
        y = Fma(y, x, LogP5);
        y = Fma(y, x, LogP6);
        y = Fma(y, x, LogP7);
        y = Fma(y, x, LogP8);
        y *= x;
        y = Fma(y, z, e * LogQ1);
        y -= z * 0.5f;                 // exact product: fused or not gives the same
        x = Fma(e, LogQ2, x + y);
        return invalid ? float.NaN : x;
    }

    /// <summary>Sine and cosine of x (argument reduction modulo π/4 in three float parts).</summary>
    public static void SinCos(float x, out float sin, out float cos)
    {
        int signSin = BitConverter.SingleToInt32Bits(x) & int.MinValue;
        x = MathF.Abs(x);

        int j = (int)(x * FourOverPi);          // cvttps2dq
        j = (j + 1) & ~1;
        float y = j;
        signSin ^= (j & 4) << 29;
        int signCos = (~(j - 2) & 4) << 29;
        bool cosPolynomialIsCos = (j & 2) == 0;

        x = Fma(y, MinusDp1, x);
        x = Fma(y, MinusDp2, x);
        x = Fma(y, MinusDp3, x);

        float z = x * x;
        float yc = Fma(CosP0, z, CosP1);
        yc = Fma(yc, z, CosP2);
        yc *= z;
        yc = Fma(yc, z, -(z * 0.5f));
        yc += 1f;

        float ys = Fma(SinP0, z, SinP1);
        ys = Fma(ys, z, SinP2);
        ys *= z;
        ys = Fma(ys, x, x);

        float s = cosPolynomialIsCos ? ys : yc, c = cosPolynomialIsCos ? yc : ys;
        sin = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(s) ^ signSin);
        cos = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(c) ^ signCos);
    }
}
