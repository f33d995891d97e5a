using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of the broadcasting binary ops, scalar ops, in-place ops and activations vs float64 finite differences.</summary>
public class ElementwiseGradTests
{
    private static int[] BroadcastShape(int[] a, int[] b) => ShapeUtil.Broadcast(a, b);

    internal static Reference64 Binary(int[] sa, int[] sb, Func<double, double, double> f)
    {
        var so = BroadcastShape(sa, sb);
        return x =>
        {
            var y = new double[Numel(so)];
            for (int i = 0; i < y.Length; i++)
            {
                var idx = Unravel(i, so);
                y[i] = f(At(x[0], sa, idx), At(x[1], sb, idx));
            }
            return y;
        };
    }

    public static TheoryData<int[], int[]> BroadcastCases => new()
    {
        { [3, 5], [3, 5] },
        { [2, 3, 5], [5] },
        { [3, 1, 5], [4, 1] },
        { [1, 7], [3, 1] },
        { [2, 1, 3, 1], [1, 4, 1, 5] },
        { [], [2, 3] },
        { [2, 3, 19], [19] },      // the summed rows are ≥ 8 wide: vector loop and scalar tail
        { [2, 1, 16], [3, 16] },
    };

    [Theory, MemberData(nameof(BroadcastCases))]
    public void AddSubMulDivBroadcast(int[] sa, int[] sb)
    {
        var rng = new System.Random(sa.Length * 31 + sb.Length);
        var so = BroadcastShape(sa, sb);
        var a = Leaf(rng, sa);
        var b = Leaf(rng, sb, 0.5, 2); // a divisor away from 0
        Check("Add", [a, b], t => { var y = Rounded(Binary(sa, sb, (p, q) => p + q), t, so); Recorder.Add(y, t[0], t[1]); return y; }, Binary(sa, sb, (p, q) => p + q));
        Check("Sub", [a, b], t => { var y = Rounded(Binary(sa, sb, (p, q) => p - q), t, so); Recorder.Sub(y, t[0], t[1]); return y; }, Binary(sa, sb, (p, q) => p - q));
        Check("Mul", [a, b], t => { var y = Rounded(Binary(sa, sb, (p, q) => p * q), t, so); Recorder.Mul(y, t[0], t[1]); return y; }, Binary(sa, sb, (p, q) => p * q));
        Check("Div", [a, b], t => { var y = Rounded(Binary(sa, sb, (p, q) => p / q), t, so); Recorder.Div(y, t[0], t[1]); return y; }, Binary(sa, sb, (p, q) => p / q));
    }

    [Fact]
    public void OnlyOneOperandRequiresGrad()
    {
        var rng = new System.Random(5);
        var a = Leaf(rng, [4, 3]);
        var b = Leaf(rng, [3], 0.5, 2, requiresGrad: false);
        Check("Mul(a, const b)", [a, b], t => { var y = Rounded(Binary([4, 3], [3], (p, q) => p * q), t, 4, 3); Recorder.Mul(y, t[0], t[1]); return y; }, Binary([4, 3], [3], (p, q) => p * q));
        a.RequiresGrad = false; b.RequiresGrad = true;
        Check("Div(const a, b)", [a, b], t => { var y = Rounded(Binary([4, 3], [3], (p, q) => p / q), t, 4, 3); Recorder.Div(y, t[0], t[1]); return y; }, Binary([4, 3], [3], (p, q) => p / q));
    }

    [Fact]
    public void StridedOperands()
    {
        var rng = new System.Random(6);
        using var baseA = Leaf(rng, [5, 3], requiresGrad: false);
        var a = baseA.Transpose(0, 1); // [3, 5] with strides [1, 3]
        a.RequiresGrad = true;
        using var baseB = Leaf(rng, [5, 2], 0.5, 2, requiresGrad: false);
        var b = baseB.Narrow(1, 1, 1).Transpose(0, 1); // [1, 5], strided
        b.RequiresGrad = true;
        Check("Div strided", [a, b], t => { var y = Rounded(Binary([3, 5], [1, 5], (p, q) => p / q), t, 3, 5); Recorder.Div(y, t[0], t[1]); return y; }, Binary([3, 5], [1, 5], (p, q) => p / q));
        Check("Mul strided", [a, b], t => { var y = Rounded(Binary([3, 5], [1, 5], (p, q) => p * q), t, 3, 5); Recorder.Mul(y, t[0], t[1]); return y; }, Binary([3, 5], [1, 5], (p, q) => p * q));
    }

    [Fact]
    public void ScalarOpsAndLerp()
    {
        var rng = new System.Random(7);
        var a = Leaf(rng, [2, 7]);
        var e = Leaf(rng, [7]);
        Check("AddScalar", [a], t => { var y = Rounded(x => x[0].Select(v => v + 0.3).ToArray(), t, 2, 7); Recorder.Add(y, t[0], 0.3f); return y; }, x => x[0].Select(v => v + 0.3).ToArray());
        Check("MulScalar", [a], t => { var y = Rounded(x => x[0].Select(v => v * -1.7).ToArray(), t, 2, 7); Recorder.Mul(y, t[0], -1.7f); return y; }, x => x[0].Select(v => v * (double)-1.7f).ToArray());
        foreach (float w in new[] { 0.25f, 0.75f })
        {
            Reference64 lerp = Binary([2, 7], [7], (s, t) => s + w * (t - s));
            Check($"Lerp w={w}", [a, e], t => { var y = Rounded(lerp, t, 2, 7); Recorder.Lerp(y, t[0], t[1], w); return y; }, lerp);
        }
    }

    [Fact]
    public void InPlaceOpsChainTheGradient()
    {
        var rng = new System.Random(8);
        var x = Leaf(rng, [3, 4]);
        var b = Leaf(rng, [4]);
        // y = (2x) += b ; y *= -3  →  y = -3(2x + b)
        Reference64 reference = v =>
        {
            var y = new double[12];
            for (int i = 0; i < 12; i++) y[i] = -3 * (2 * v[0][i] + v[1][i % 4]);
            return y;
        };
        Check("AddInPlace/MulInPlace", [x, b], t =>
        {
            var y = Rounded(v => v[0].Select(q => 2 * q).ToArray(), [t[0]], 3, 4);
            Recorder.Mul(y, t[0], 2f);
            var bv = t[1].ToArray();
            var ys = y.AsSpan();
            for (int i = 0; i < 12; i++) ys[i] += bv[i % 4];
            Recorder.AddInPlace(y, t[1]);
            for (int i = 0; i < 12; i++) ys[i] *= -3f;
            Recorder.MulInPlace(y, -3f);
            return y;
        }, reference);
    }

    internal static Reference64 Map(Func<double, double> f) => x => x[0].Select(f).ToArray();

    public static TheoryData<string> Activations => new() { "Gelu", "GeluTanh", "Silu", "LeakyRelu", "Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Sqrt", "Exp", "Square", "Clamp", "Erf" };

    [Theory, MemberData(nameof(Activations))]
    public void UnaryOps(string op)
    {
        Func<double, double> f = op switch
        {
            "Gelu" => v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
            "GeluTanh" => v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
            "Silu" => v => v / (1 + Math.Exp(-v)),
            "LeakyRelu" => v => v > 0 ? v : (double)0.2f * v,
            "Relu" => v => Math.Max(v, 0),
            "Sigmoid" => v => 1 / (1 + Math.Exp(-v)),
            "Tanh" => Math.Tanh,
            "Abs" => Math.Abs,
            "Neg" => v => -v,
            "Sqrt" => Math.Sqrt,
            "Exp" => Math.Exp,
            "Square" => v => v * v,
            "Clamp" => v => Math.Clamp(v, -0.5, 1.0),
            "Erf" => Erf,
            _ => throw new ArgumentException(op),
        };
        Func<Tensor, Tensor, Tensor> hook = op switch
        {
            "Gelu" => Recorder.Gelu,
            "GeluTanh" => Recorder.GeluTanh,
            "Silu" => Recorder.Silu,
            "LeakyRelu" => (y, x) => Recorder.LeakyRelu(y, x, 0.2f),
            "Relu" => Recorder.Relu,
            "Sigmoid" => Recorder.Sigmoid,
            "Tanh" => Recorder.Tanh,
            "Abs" => Recorder.Abs,
            "Neg" => Recorder.Neg,
            "Sqrt" => Recorder.Sqrt,
            "Exp" => Recorder.Exp,
            "Square" => Recorder.Square,
            "Clamp" => (y, x) => Recorder.Clamp(y, x, -0.5f, 1.0f),
            "Erf" => Recorder.Erf,
            _ => throw new ArgumentException(op),
        };
        var rng = new System.Random(op.Length);
        // Values kept ≥ 0.05 away from kinks (0, clamp bounds) so the finite differences stay on one side.
        var x = Leaf(rng, [3, 2, 5], op == "Sqrt" ? 0.3 : -3, 3);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
            foreach (var kink in new[] { 0f, -0.5f, 1f })
                if (Math.Abs(s[i] - kink) < 0.05f) s[i] = kink + 0.1f;
        var view = x.Permute(2, 0, 1); // strided input
        view.RequiresGrad = true;
        int[] shape = [5, 3, 2];
        Check(op, [view], t => { var y = Rounded(Map(f), t, shape); hook(y, t[0]); return y; }, Map(f));
    }

    [Fact]
    public void GeluInPlaceKeepsThePreActivation()
    {
        var rng = new System.Random(17);
        var x = Leaf(rng, [2, 7], -3, 3);
        Reference64 gelu = Map(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))));
        Check("GeluInPlace", [x], t =>
        {
            var y = t[0].Clone();          // a fresh activation, as the channel-wise MLP has
            Recorder.Copy(y, t[0]);
            Recorder.GeluInPlace(y);       // hook first: it keeps the values the kernel is about to overwrite
            var ys = y.AsSpan();
            var r = gelu([ys.ToArray().Select(v => (double)v).ToArray()]);
            for (int i = 0; i < ys.Length; i++) ys[i] = (float)r[i];
            return y;
        }, gelu);
    }
}
