using Wuerstchen.Tensors;
using Wuerstchen.Tests.Kernels;
using static Wuerstchen.Tests.Tensors.TestTensors;

namespace Wuerstchen.Tests.Tensors;

public class OpsElementwiseTests
{
    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [2, 3, 4], [2, 3, 4] },
        { [2, 3, 4], [4] },
        { [2, 1, 4], [3, 1] },
        { [5, 1, 1], [1, 7, 3] },
        { [3, 5, 7, 9], [3, 5, 1, 1] },    // per-channel scale of NCHW
        { [2, 6, 5, 33], [1, 1, 1, 33] },  // channels-last bias
        { [1], [4, 17] },
        { [], [3, 2] },                     // 0-d operand
        { [3, 40000], [40000] },            // parallel rows
        { [70000], [1] },                   // one long parallel row
    };

    private static float Apply(string op, float a, float b) => op switch
    {
        "add" => a + b, "sub" => a - b, "mul" => a * b, "div" => a / b,
        _ => throw new ArgumentException(op),
    };

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => Ops.Add(a, b), "sub" => Ops.Sub(a, b), "mul" => Ops.Mul(a, b), "div" => Ops.Div(a, b),
        _ => throw new ArgumentException(op),
    };

    /// <summary>Reference by explicit multi-index broadcasting; float ops are correctly rounded, so results are exact.</summary>
    private static void CheckBinary(string op, Tensor a, Tensor b)
    {
        using var y = Apply(op, a, b);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        Assert.Equal(shape, y.Shape.ToArray());
        var av = a.ToArray(); var bv = b.ToArray(); var yv = y.ToArray();
        var sa = a.Shape.ToArray(); var sb = b.Shape.ToArray();
        for (long i = 0; i < yv.Length; i++)
        {
            var idx = Unravel(i, shape);
            float expected = Apply(op, Broadcast(av, sa, idx), Broadcast(bv, sb, idx));
            if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(yv[i]))
                Assert.Fail($"{op} {Show(sa)} ⊕ {Show(sb)}: element {i} is {yv[i]:R}, expected {expected:R}.");
        }
    }

    private static string Show(int[] s) => $"[{string.Join(", ", s)}]";

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void BinaryOpsBroadcastLikeTorch(int[] sa, int[] sb)
    {
        using var a = Random(1, sa);
        using var b = Random(2, sb, 0.5f, 2f);
        foreach (var op in new[] { "add", "sub", "mul", "div" })
        {
            CheckBinary(op, a, b);
            CheckBinary(op, b, a);
        }
    }

    [Fact]
    public void BinaryOpsAcceptPermutedAndNarrowedViews()
    {
        var a = RandomStrided(3, [4, 5, 6]);
        var b = RandomStrided(4, [5, 1]);
        using var c = Random(5, [4, 9, 6]);
        var narrowed = c.Narrow(1, 2, 5);
        foreach (var op in new[] { "add", "mul", "div" })
        {
            CheckBinary(op, a, b);
            CheckBinary(op, narrowed, a);
            CheckBinary(op, a.Permute(2, 1, 0), Random(6, [6, 1, 1]));
        }
    }

    [Fact]
    public void NonBroadcastableShapesNameTheOpAndShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4);
        var e = Assert.Throws<ArgumentException>(() => Ops.Mul(a, b));
        Assert.Contains("Mul", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void AddInPlaceBroadcastsTheSecondOperandOnly()
    {
        using var a = Random(7, [3, 4, 5]);
        var before = a.ToArray();
        using var b = Random(8, [4, 1]);
        Ops.AddInPlace(a, b);
        var bv = b.ToArray();
        var after = a.ToArray();
        for (int i = 0; i < after.Length; i++)
            Assert.Equal(before[i] + bv[Unravel(i, [3, 4, 5])[1]], after[i]);
        using var big = Tensor.Zeros(2, 3, 4, 5);
        var e = Assert.Throws<ArgumentException>(() => Ops.AddInPlace(a, big));
        Assert.Contains("AddInPlace", e.Message);
    }

    [Fact]
    public void AddScaledRoundsLikeTorchsScaleThenAdd()
    {
        // Two roundings (b·s, then + a), not a fused multiply-add: the gated residuals stay bit-identical to torch's.
        var a = RandomStrided(10, [5, 70_000]);            // above the parallel grain, strided source
        using var b = Random(11, [70_000]);
        const float s = 0.3764f;
        var av = a.ToArray();
        var bv = b.ToArray();
        using var y = Ops.AddScaled(a, b, s);
        var expected = av.Select((v, i) => v + bv[i % 70_000] * s).ToArray();
        Assert.Equal(expected, y.ToArray());
        using var inPlace = a.Contiguous();
        Ops.AddScaledInPlace(inPlace, b, s);
        Assert.Equal(expected, inPlace.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Ops.AddScaledInPlace(b, inPlace, s));
        Assert.Contains("AddScaledInPlace", e.Message);
    }

    [Fact]
    public void ScalarOpsAndInPlaceScale()
    {
        var x = RandomStrided(9, [7, 13]);
        var xv = x.ToArray();
        using var add = Ops.Add(x, 0.25f);
        using var mul = Ops.Mul(x, -3f);
        Assert.Equal(xv.Select(v => v + 0.25f), add.ToArray());
        Assert.Equal(xv.Select(v => v * -3f), mul.ToArray());
        Ops.MulInPlace(mul, 0.5f);
        Assert.Equal(xv.Select(v => v * -3f * 0.5f), mul.ToArray());
        using var sub = Ops.Sub(x, 0.75f);
        using var rsub = Ops.Sub(1f, x);
        using var div = Ops.Div(x, 0.3764f);
        Assert.Equal(xv.Select(v => v - 0.75f), sub.ToArray());
        Assert.Equal(xv.Select(v => 1f - v), rsub.ToArray());
        Assert.Equal(xv.Select(v => v / 0.3764f), div.ToArray());
    }

    [Theory]
    [InlineData(0.3f)]
    [InlineData(-0.2f)]
    [InlineData(0.5f)]
    [InlineData(0.7f)]
    [InlineData(4.0f)]  // classifier-free guidance
    public void LerpUsesTorchsTwoForms(float w)
    {
        using var s = Random(10, [3, 37]);
        using var e = Random(11, [37]);
        using var y = Ops.Lerp(s, e, w);
        var sv = s.ToArray(); var ev = e.ToArray(); var yv = y.ToArray();
        for (int i = 0; i < yv.Length; i++)
        {
            float a = sv[i], b = ev[i % 37], d = b - a;
            float expected = MathF.Abs(w) < 0.5f ? MathF.FusedMultiplyAdd(w, d, a) : MathF.FusedMultiplyAdd(-d, 1f - w, b);
            Assert.Equal(expected, yv[i]);
        }
    }

    [Fact]
    public void LerpReproducesBothEndsExactly()
    {
        using var s = Random(12, [1000]);
        using var e = Random(13, [1000]);
        using var y0 = Ops.Lerp(s, e, 0f);
        using var y1 = Ops.Lerp(s, e, 1f);
        Assert.Equal(s.ToArray(), y0.ToArray());
        Assert.Equal(e.ToArray(), y1.ToArray());
    }

    [Fact]
    public void SimpleUnaryOps()
    {
        var x = RandomStrided(14, [9, 11], -5f, 5f);
        var xv = x.ToArray();
        using (var y = Ops.Clamp(x, -1f, 2f)) Assert.Equal(xv.Select(v => Math.Clamp(v, -1f, 2f)), y.ToArray());
        using (var y = Ops.Abs(x)) Assert.Equal(xv.Select(MathF.Abs), y.ToArray());
        using (var y = Ops.Neg(x)) Assert.Equal(xv.Select(v => -v), y.ToArray());
        using (var y = Ops.Square(x)) Assert.Equal(xv.Select(v => v * v), y.ToArray());
        using (var y = Ops.Sqrt(Ops.Abs(x))) Assert.Equal(xv.Select(v => MathF.Sqrt(MathF.Abs(v))), y.ToArray());
        using (var y = Ops.Exp(x)) TensorAssert.Close(xv.Select(v => (float)Math.Exp(v)).ToArray(), y.ToArray(), 0, 1.2e-7, "exp");
        using (var y = Ops.Relu(x)) Assert.Equal(xv.Select(v => MathF.Max(v, 0)), y.ToArray());
        using (var y = Ops.LeakyRelu(x, 0.2f)) Assert.Equal(xv.Select(v => v > 0 ? v : v * 0.2f), y.ToArray());
        using var nan = Tensor.FromArray([float.NaN, 3f], 2);
        using var clamped = Ops.Clamp(nan, 0f, 1f);
        Assert.True(float.IsNaN(clamped.ToArray()[0]), "clamp keeps NaN as torch does");
    }

    public static TheoryData<string> Activations => new() { "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "erf" };

    [Theory, MemberData(nameof(Activations))]
    public void ActivationsMatchDoubleReferencesOnEveryTailLength(string name)
    {
        Func<double, double> exact = name switch
        {
            "gelu" => ReferenceMath.Gelu, "gelu_tanh" => ReferenceMath.GeluTanh, "silu" => ReferenceMath.Silu,
            "sigmoid" => ReferenceMath.Sigmoid, "tanh" => Math.Tanh, _ => ReferenceMath.Erf,
        };
        Func<Tensor, Tensor> op = name switch
        {
            "gelu" => Ops.Gelu, "gelu_tanh" => Ops.GeluTanh, "silu" => Ops.Silu,
            "sigmoid" => Ops.Sigmoid, "tanh" => Ops.Tanh, _ => Ops.Erf,
        };
        // The tanh form's cubic inner argument is rounded before the exponential (as in torch), which costs a few
        // ulp where the gate is small; everything else is within ~4 ulp.
        double rtol = name == "gelu_tanh" ? 3e-6 : 6e-7;
        // Every length up to 3 registers of 16 lanes, and one that runs in parallel chunks.
        foreach (int n in Enumerable.Range(0, 49).Append(40_001))
        {
            using var x = Random(100 + n, [n], -12f, 12f);
            using var y = op(x);
            var xv = x.ToArray(); var yv = y.ToArray();
            for (int i = 0; i < n; i++)
            {
                double e = exact(xv[i]);
                if (!(Math.Abs(yv[i] - e) <= 1e-10 + rtol * Math.Abs(e)))
                    Assert.Fail($"{name}({xv[i]:R}) = {yv[i]:R}, expected {e:R} (n = {n}).");
            }
        }
    }

    [Fact]
    public void GeluInPlaceMatchesGelu()
    {
        using var x = Random(15, [5, 77]);
        using var y = Ops.Gelu(x);
        Ops.GeluInPlace(x);
        Assert.Equal(y.ToArray(), x.ToArray());
    }
}
