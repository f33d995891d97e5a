using Wuerstchen.Autograd;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Autograd;

/// <summary>A double-precision reference forward: input values (row-major) → output values (row-major).</summary>
public delegate double[] Reference64(double[][] inputs);

/// <summary>
/// Checks recorded backward functions against central finite differences of a float64 reference forward.
/// The objective is L = Σ R ⊙ f(inputs) for a fixed random R, so the autograd gradient of an input (from
/// <c>tape.Backward(y, R)</c>) must equal ∂L/∂input. The derivative is taken numerically with the fourth-order
/// stencil (8(L(+h) − L(−h)) − (L(+2h) − L(−2h)))/12h in double, h = 1e-3·max(1, |x|): truncation error
/// O(h⁴·L⁽⁵⁾) ≈ 1e-12 and cancellation ≈ 1e-16·|L|/h ≈ 1e-13·|L| — far below float32 noise.
/// Tolerance (per input tensor, per element): |g − fd| ≤ atol·max|fd| + rtol·|fd|. Our backward runs in
/// float32; an element is a sum of at most a few hundred products in these tests, so its rounding error is
/// ≲ 1e-5 of the gradient's scale. The defaults (atol 5e-5, rtol 1e-4) leave headroom for that while any wrong
/// term, index or scale shows up as an O(1) relative error.
/// </summary>
public static class GradCheck
{
    public const double DefaultAtol = 5e-5, DefaultRtol = 1e-4;

    /// <param name="inputs">Float32 leaves (RequiresGrad set on those to check; they may be strided views).</param>
    /// <param name="forward">Runs the op on <paramref name="inputs"/> under the tape and returns its output.</param>
    /// <param name="reference">The same op in double.</param>
    /// <param name="maxProbes">Finite-difference probes per input at most (random elements beyond that).</param>
    public static void Check(string what, Tensor[] inputs, Func<Tensor[], Tensor> forward, Reference64 reference,
        double atol = DefaultAtol, double rtol = DefaultRtol, int maxProbes = 400, int seed = 1234)
    {
        var x64 = inputs.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();
        var y64 = reference(x64);
        var rng = new System.Random(seed);
        var r = y64.Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        foreach (var t in inputs) t.Grad = null;

        Tensor y;
        using (var tape = Tape.Record())
        {
            y = forward(inputs);
            Assert.Equal(y64.Length, (int)y.Numel);
            // The forward must be the op the reference describes (float32 rounding aside), or the gradient check is moot.
            var yv = y.ToArray();
            double yScale = y64.Select(Math.Abs).Where(double.IsFinite).DefaultIfEmpty(0).Max();
            for (int k = 0; k < yv.Length; k++)
                Assert.True(Math.Abs(yv[k] - y64[k]) <= 1e-5 * yScale + 1e-4 * Math.Abs(y64[k]) || (double.IsNaN(yv[k]) && double.IsNaN(y64[k])),
                    $"{what}: forward output {k} is {yv[k]}, the float64 reference gives {y64[k]}.");
            using var gradOut = Tensor.FromArray(r, y.Shape);
            tape.Backward(y, gradOut);
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad) { Assert.Null(inputs[i].Grad); continue; }
            var grad = inputs[i].Grad;
            Assert.True(grad is not null, $"{what}: input {i} got no gradient.");
            Assert.True(grad!.Shape.SequenceEqual(inputs[i].Shape), $"{what}: gradient of input {i} is {grad}, input is {inputs[i]}.");
            var g = grad.ToArray();
            int n = g.Length;
            var probes = n <= maxProbes ? Enumerable.Range(0, n).ToArray()
                : Enumerable.Range(0, maxProbes).Select(_ => rng.Next(n)).Distinct().ToArray();
            var fd = new double[probes.Length];
            for (int p = 0; p < probes.Length; p++)
                fd[p] = Derivative(reference, x64, i, probes[p], r);
            double scale = fd.Select(Math.Abs).DefaultIfEmpty(0).Max();
            for (int p = 0; p < probes.Length; p++)
            {
                double diff = Math.Abs(g[probes[p]] - fd[p]);
                Assert.True(diff <= atol * scale + rtol * Math.Abs(fd[p]),
                    $"{what}: d/d input {i}[{probes[p]}] is {g[probes[p]]}, finite differences give {fd[p]} (|diff| {diff:E3}, gradient scale {scale:E3}).");
            }
            inputs[i].Grad!.Dispose();
            inputs[i].Grad = null;
        }
        y.Dispose();
    }

    private static double Derivative(Reference64 reference, double[][] x, int input, int index, float[] r)
    {
        double x0 = x[input][index];
        double h = 1e-3 * Math.Max(1, Math.Abs(x0));
        double L(double v)
        {
            x[input][index] = v;
            var y = reference(x);
            double s = 0;
            for (int k = 0; k < y.Length; k++) s += r[k] * y[k];
            return s;
        }
        double d = (8 * (L(x0 + h) - L(x0 - h)) - (L(x0 + 2 * h) - L(x0 - 2 * h))) / (12 * h);
        x[input][index] = x0;
        return d;
    }

    // ------------------------------------------------------------------ helpers for tests

    /// <summary>A leaf with uniform random values in [lo, hi) that requires grad.</summary>
    public static Tensor Leaf(System.Random rng, int[] shape, double lo = -2, double hi = 2, bool requiresGrad = true)
    {
        var t = Tensor.Empty(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>
    /// The float32 output of an op computed by rounding its double reference (stand-in for the engine's forward
    /// op where only the recording hook is under test).
    /// </summary>
    public static Tensor Rounded(Reference64 reference, Tensor[] inputs, params int[] shape)
    {
        var x64 = inputs.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();
        var y = reference(x64);
        return Tensor.FromArray(y.Select(v => (float)v).ToArray(), shape);
    }

    /// <summary>Row-major index helper: strides of a shape.</summary>
    public static int[] Strides(params int[] shape)
    {
        var s = new int[shape.Length];
        int k = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { s[d] = k; k *= shape[d]; }
        return s;
    }

    /// <summary>Value of a broadcast operand (shape <paramref name="shape"/>) at the output's multi-index.</summary>
    public static double At(double[] data, int[] shape, int[] outIndex)
    {
        int off = 0, k = 1, lead = outIndex.Length - shape.Length;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int i = shape[d] == 1 ? 0 : outIndex[d + lead];
            off += i * k;
            k *= shape[d];
        }
        return data[off];
    }

    /// <summary>Multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return idx;
    }

    public static int Numel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Exact-enough erf for double references (series below 3, continued fraction above).</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double r;
        if (a < 3)
        {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = a; // erfc(a) = e^{-a²}/√π / (a + 1/2/(a + 1/(a + 3/2/(a + …)))) evaluated bottom-up
            for (int k = 60; k >= 1; k--) f = a + k / 2.0 / f;
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
