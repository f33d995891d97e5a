namespace Wuerstchen.Schedulers;

/// <summary>
/// float32 cosine as PyTorch's AVX2 CPU build evaluates <c>torch.cos</c> on float32 tensors of any size: SLEEF's
/// <c>Sleef_cosf8_u10</c> (its FMA variant, ≤ 1 ulp, not correctly rounded), one lane of it. The scheduler's
/// ᾱ(t) goes through this cosine, and neither glibc's cosf nor a correctly rounded one gives torch's bits for
/// every t (e.g. t = 0.6667 and t = 0.9 of vectors/scheduler.safetensors respectively).
/// Arguments must satisfy |x| &lt; 125 (SLEEF's fast reduction range, ample for (t+s)/(1+s)·π/2 with t ∈ [0, 1]);
/// beyond it we fall back to <see cref="MathF.Cos"/>.
/// The algorithm: q = 2·rint(x/π − ½) + 1, the reduced argument s = x − q·π/2 kept as an unevaluated float pair,
/// then cos x = ±(s + s³·P(s²)) with the pair arithmetic of SLEEF's double-float ("df") helpers.
/// </summary>
internal static class SleefCosF
{
    private const float PiA2 = 3.1414794921875f, PiB2 = 0.00011315941810607910156f, PiC2 = 1.9841872589410058936e-09f;
    private const float OneOverPi = (float)(1 / Math.PI);
    private const float C0 = 2.6083159809786593541503e-06f, C1 = -0.0001981069071916863322258f;
    private const float C2 = 0.00833307858556509017944336f, C3 = -0.166666597127914428710938f;

    private static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    public static float Cos(float d)
    {
        if (!(MathF.Abs(d) < 125f)) return MathF.Cos(d);

        float dq = Fma(MathF.Round(Fma(d, OneOverPi, -0.5f), MidpointRounding.ToEven), 2f, 1f);
        int q = (int)dq;
        var s = Add2(d, dq * (-PiA2 * 0.5f));
        s = Add2(s, dq * (-PiB2 * 0.5f));
        s = Add2(s, dq * (-PiC2 * 0.5f));
        var t = s;

        // s² as a pair
        float sqHi = s.Hi * s.Hi;
        float sqLo = Fma(s.Hi + s.Hi, s.Lo, Fma(s.Hi, s.Hi, -sqHi));

        float u = Fma(C0, sqHi, C1);
        u = Fma(u, sqHi, C2);

        // x = 1 + (C3 + u·s²)·s², in pairs
        float b = u * sqHi;
        float aHi = C3 + b, aLo = (C3 - aHi) + b;
        float mHi = aHi * sqHi;
        float mLo = Fma(aHi, sqLo, Fma(aLo, sqHi, Fma(aHi, sqHi, -mHi)));
        float xHi = 1f + mHi, xLo = ((1f - xHi) + mHi) + mLo;

        // t·x, rounded once
        float r = Fma(t.Hi, xHi, Fma(t.Lo, xHi, t.Hi * xLo));
        return (q & 2) == 0 ? -r : r;
    }

    private readonly record struct Pair(float Hi, float Lo);

    /// <summary>SLEEF's dfadd2 (x + y exactly as a pair, no magnitude precondition).</summary>
    private static Pair Add2(float x, float y)
    {
        float s = x + y, v = s - x;
        return new Pair(s, (x - (s - v)) + (y - v));
    }

    private static Pair Add2(Pair x, float y)
    {
        float s = x.Hi + y, v = s - x.Hi;
        float t = (x.Hi - (s - v)) + (y - v);
        return new Pair(s, t + x.Lo);
    }
}
