using Wuerstchen.Kernels;

namespace Wuerstchen.Tests.Kernels;

/// <summary>Accuracy of the vectorised transcendental functions at every register width, against double references.</summary>
public unsafe class VectorMathTests
{
    private static float[] Run<TV>(float[] x, Func<TV, TV> f) where TV : unmanaged, ISimd<TV>
    {
        var y = new float[x.Length];
        fixed (float* px = x, py = y)
            for (int i = 0; i < x.Length; i += TV.Count) TV.Store(f(TV.Load(px + i)), py + i);
        return y;
    }

    /// <summary>A dense sweep of [lo, hi] plus the edges, padded to a multiple of 16 lanes.</summary>
    private static float[] Sweep(float lo, float hi, int n)
    {
        var list = new List<float>();
        for (int i = 0; i < n; i++) list.Add(lo + (hi - lo) * i / (n - 1));
        list.AddRange([0f, -0f, 1e-30f, -1e-30f, 1e-8f, -1e-8f, lo, hi]);
        while (list.Count % 16 != 0) list.Add(0.5f);
        return [.. list];
    }

    private static void AssertUlps(float[] x, float[] y, Func<double, double> exact, double maxUlps, string what)
    {
        double worst = 0; int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Ulps(y[i], exact(x[i]));
            if (e > worst) { worst = e; at = i; }
        }
        Assert.True(worst <= maxUlps, $"{what}: {worst:F2} ulp at x = {x[at]:R} (got {y[at]:R}, exact {exact(x[at]):R}).");
    }

    // Results in the float subnormal range are flushed to zero by design; compare against the flushed value.
    private static double Ulps(float actual, double exact) =>
        Math.Abs(exact) < 1.1754943508222875e-38 ? (Math.Abs(actual) <= 1.1754943508222875e-38 ? 0 : double.PositiveInfinity)
            : ReferenceMath.Ulps(actual, exact);

    public static TheoryData<int> Widths => new() { 512, 256, 128 };

    private static float[] RunAt(int width, float[] x, string fn) => width switch
    {
        512 => Run<V512>(x, v => Apply(fn, v)),
        256 => Run<V256>(x, v => Apply(fn, v)),
        _ => Run<V128>(x, v => Apply(fn, v)),
    };

    private static TV Apply<TV>(string fn, TV v) where TV : unmanaged, ISimd<TV> => fn switch
    {
        "exp" => VectorMath.Exp(v),
        "erf" => VectorMath.Erf(v),
        "1+erf" => VectorMath.OnePlusErf(v),
        "tanh" => VectorMath.Tanh(v),
        "sigmoid" => VectorMath.Sigmoid(v),
        _ => throw new ArgumentException(fn),
    };

    [Theory, MemberData(nameof(Widths))]
    public void ExpIsWithinOneUlpOverTheWholeRange(int width)
    {
        var x = Sweep(-87.3f, 88.7f, 60_000);
        AssertUlps(x, RunAt(width, x, "exp"), Math.Exp, 1, $"exp/V{width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void ExpHandlesOverflowUnderflowAndNaN(int width)
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 89f, -88f, 88.72f, -87.33f, 0f, 1f, -1f, 10f, -10f, 20f, -20f, 30f, -30f];
        var y = RunAt(width, x, "exp");
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(float.PositiveInfinity, y[3]);
        Assert.Equal(0f, y[4]);
        Assert.True(float.IsFinite(y[5]) && Math.Abs(y[5] / Math.Exp(88.72f) - 1) < 3e-7, $"exp(88.72) = {y[5]}");
        Assert.True(Math.Abs(y[6] / Math.Exp(-87.33f) - 1) < 3e-7, $"exp(-87.33) = {y[6]}");
        Assert.Equal(1f, y[7]);
    }

    [Theory, MemberData(nameof(Widths))]
    public void ErfIsWithinThreeUlps(int width)
    {
        var x = Sweep(-6f, 6f, 30_000);
        AssertUlps(x, RunAt(width, x, "erf"), ReferenceMath.Erf, 3, $"erf/V{width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void OnePlusErfIsRelativelyAccurateDeepInTheNegativeTail(int width)
    {
        // 1 + erf(z) = erfc(−z) underflows the float normal range near z = −9.19.
        var x = Sweep(-9.1f, 4f, 30_000);
        AssertUlps(x, RunAt(width, x, "1+erf"), z => ReferenceMath.Erfc(-z), 5, $"1+erf/V{width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void ErfAndTanhSaturateAndKeepNaN(int width)
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 20f, -20f, 100f, -100f, 0f, -0f, 0, 0, 0, 0, 0, 0, 0];
        var erf = RunAt(width, x, "erf");
        var tanh = RunAt(width, x, "tanh");
        Assert.True(float.IsNaN(erf[0]) && float.IsNaN(tanh[0]));
        Assert.Equal([1f, -1f, 1f, -1f, 1f, -1f], erf[1..7]);
        Assert.Equal([1f, -1f, 1f, -1f, 1f, -1f], tanh[1..7]);
        Assert.True(float.IsNegative(erf[8]) && float.IsNegative(tanh[8]), "the sign of −0 is kept");
    }

    [Theory, MemberData(nameof(Widths))]
    public void TanhIsWithinTwoUlps(int width)
    {
        var x = Sweep(-10f, 10f, 60_000);
        AssertUlps(x, RunAt(width, x, "tanh"), Math.Tanh, 2, $"tanh/V{width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void SigmoidIsWithinThreeUlps(int width)
    {
        var x = Sweep(-80f, 30f, 60_000);
        AssertUlps(x, RunAt(width, x, "sigmoid"), ReferenceMath.Sigmoid, 3, $"sigmoid/V{width}");
    }
}
