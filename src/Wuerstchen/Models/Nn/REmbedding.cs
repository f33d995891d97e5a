using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Würstchen's sinusoidal timestep ("r") embedding, <c>gen_r_embedding</c> (SPEC §2.7): for r ∈ [0, 1],
/// <c>[sin(10000·r·f), cos(10000·r·f)]</c> with <c>f[i] = exp(−i·ln(10000)/(c_r/2 − 1))</c>.
/// <para>
/// Precision: torch builds <c>f</c> in float32 even for a double model, with SLEEF's vectorised <c>expf</c>,
/// which is not correctly rounded (for c_r = 64, elements 1, 22 and 29 are one ulp off a correctly rounded
/// exp); <see cref="Frequencies"/> reproduces those bits. The arguments reach 10⁴ near r = 1, where float32
/// sin/cos lose ~1e-3, so — as vectors/README.md recommends — the product and sin/cos are evaluated in double
/// from the float32 frequencies and only the result is rounded to float32.
/// </para>
/// </summary>
public static class REmbedding
{
    public const int MaxPositions = 10000;

    /// <summary>The float32 frequency vector (c_r/2 entries) bit-for-bit as torch computes it.</summary>
    public static float[] Frequencies(int cR)
    {
        int half = cR / 2;
        if (half < 2) throw new ArgumentOutOfRangeException(nameof(cR), $"c_r = {cR}: the r embedding needs c_r >= 4.");
        // torch: arange(half).float().mul(-k).exp() — the python-double scalar −k is rounded to float32 first,
        // then each i·(−k) is a float32 product.
        float step = (float)(-Math.Log(MaxPositions) / (half - 1));
        var f = new float[half];
        for (int i = 0; i < half; i++) f[i] = SleefExpF(i * step);
        return f;
    }

    /// <summary>gen_r_embedding(r) → [B, c_r] (sin half first; a zero column is appended when c_r is odd).</summary>
    public static Tensor Generate(Tensor r, int cR)
    {
        if (r.Rank != 1) throw new ArgumentException($"gen_r_embedding: r must be [B], got {r}.", nameof(r));
        var rs = r.ToArray();
        var f = Frequencies(cR);
        int half = f.Length;
        var emb = Tensor.Zeros(rs.Length, cR);
        var e = emb.AsSpan();
        for (int b = 0; b < rs.Length; b++)
        {
            double scaled = (double)rs[b] * MaxPositions;
            for (int i = 0; i < half; i++)
            {
                double arg = scaled * f[i];
                e[b * cR + i] = (float)Math.Sin(arg);
                e[b * cR + half + i] = (float)Math.Cos(arg);
            }
        }
        return emb;
    }

    /// <summary>
    /// SLEEF 3.x <c>xexpf</c> (the u10 float exp behind torch's AVX2 <c>Vectorized&lt;float&gt;::exp</c>), with its
    /// multiply-adds fused as in the AVX2/FMA build: Cody–Waite reduction by ln 2, a degree-6 polynomial, and a
    /// scale by 2^q. Used only for the r-embedding frequencies, whose exact float32 bits torch's results depend on.
    /// </summary>
    internal static float SleefExpF(float d)
    {
        const float rLn2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
        const float l2U = 0.693145751953125f;
        const float l2L = 1.428606765330187045e-06f;

        // vrint_vi2_vf: round to nearest, ties to even (cvtps2dq).
        int q = (int)MathF.Round(d * rLn2, MidpointRounding.ToEven);
        float s = MathF.FusedMultiplyAdd(q, -l2U, d);
        s = MathF.FusedMultiplyAdd(q, -l2L, s);

        float u = 0.000198527617612853646278381f;
        u = MathF.FusedMultiplyAdd(u, s, 0.00139304355252534151077271f);
        u = MathF.FusedMultiplyAdd(u, s, 0.00833336077630519866943359f);
        u = MathF.FusedMultiplyAdd(u, s, 0.0416664853692054748535156f);
        u = MathF.FusedMultiplyAdd(u, s, 0.166666671633720397949219f);
        u = MathF.FusedMultiplyAdd(u, s, 0.5f);
        u = 1f + MathF.FusedMultiplyAdd(s * s, u, s);

        u = LdExp2(u, q);
        if (d < -104f) return 0f;
        if (d > 100f) return float.PositiveInfinity;
        return u;
    }

    /// <summary>SLEEF's vldexp2: u·2^q as two exact power-of-two multiplications (q/2 and q − q/2), avoiding overflow of 2^q.</summary>
    private static float LdExp2(float u, int q)
    {
        int q1 = q >> 1;
        return u * Pow2(q1) * Pow2(q - q1);
    }

    private static float Pow2(int e) => BitConverter.Int32BitsToSingle((e + 127) << 23);
}
