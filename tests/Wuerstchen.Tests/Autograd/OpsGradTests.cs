using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>
/// The engine's real forward ops under a tape: each records itself through its hook (no manual calls here), its
/// forward agrees with the float64 reference, and its gradients with the reference's finite differences.
/// </summary>
public class OpsGradTests
{
    [Fact]
    public void ElementwiseAndActivations()
    {
        var rng = new System.Random(101);
        var a = Leaf(rng, [3, 1, 5]);
        var b = Leaf(rng, [4, 1], 0.5, 2);
        Check("Ops.Add", [a, b], t => Ops.Add(t[0], t[1]), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (p, q) => p + q));
        Check("Ops.Sub", [a, b], t => Ops.Sub(t[0], t[1]), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (p, q) => p - q));
        Check("Ops.Mul", [a, b], t => Ops.Mul(t[0], t[1]), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (p, q) => p * q));
        Check("Ops.Div", [a, b], t => Ops.Div(t[0], t[1]), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (p, q) => p / q));
        Check("Ops.AddScaled", [a, b], t => Ops.AddScaled(t[0], t[1], -1.75f), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (p, q) => p + -1.75 * q));
        foreach (float w in new[] { 0.3f, 0.8f })
            Check($"Ops.Lerp {w}", [a, b], t => Ops.Lerp(t[0], t[1], w), ElementwiseGradTests.Binary([3, 1, 5], [4, 1], (s, e) => s + w * (e - s)));
        var x = Leaf(rng, [2, 3, 4], -3, 3);
        Check("Ops.Gelu", [x], t => Ops.Gelu(t[0]), ElementwiseGradTests.Map(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))));
        Check("Ops.GeluTanh", [x], t => Ops.GeluTanh(t[0]), ElementwiseGradTests.Map(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))));
        Check("Ops.Silu", [x], t => Ops.Silu(t[0]), ElementwiseGradTests.Map(v => v / (1 + Math.Exp(-v))));
        Check("Ops.Sigmoid", [x], t => Ops.Sigmoid(t[0]), ElementwiseGradTests.Map(v => 1 / (1 + Math.Exp(-v))));
        Check("Ops.Tanh", [x], t => Ops.Tanh(t[0]), ElementwiseGradTests.Map(Math.Tanh));
        Check("Ops.Exp", [x], t => Ops.Exp(t[0]), ElementwiseGradTests.Map(Math.Exp));
        Check("Ops.Erf", [x], t => Ops.Erf(t[0]), ElementwiseGradTests.Map(Erf));
        Check("Ops.Square", [x], t => Ops.Square(t[0]), ElementwiseGradTests.Map(v => v * v));
        Check("Ops.Mul scalar", [x], t => Ops.Mul(t[0], 1.5f), ElementwiseGradTests.Map(v => v * 1.5));
        Check("Ops.Add scalar", [x], t => Ops.Add(t[0], -0.25f), ElementwiseGradTests.Map(v => v - 0.25));
        Check("Ops.Sub scalar", [x], t => Ops.Sub(t[0], 0.75f), ElementwiseGradTests.Map(v => v - 0.75));
        Check("Ops.Sub from scalar", [x], t => Ops.Sub(1f, t[0]), ElementwiseGradTests.Map(v => 1 - v));
        Check("Ops.Div scalar", [x], t => Ops.Div(t[0], 3f), ElementwiseGradTests.Map(v => v / 3));
        Check("Ops.Abs", [x], t => Ops.Abs(t[0]), ElementwiseGradTests.Map(Math.Abs));
        Check("Ops.LeakyRelu", [x], t => Ops.LeakyRelu(t[0], 0.2f), ElementwiseGradTests.Map(v => v > 0 ? v : (double)0.2f * v));
    }

    [Fact]
    public void ResidualInPlaceAndGeluInPlace()
    {
        var rng = new System.Random(102);
        var x = Leaf(rng, [2, 5], -2, 2);
        var r = Leaf(rng, [5]);
        Check("Ops.GeluInPlace + AddInPlace", [x, r], t =>
        {
            var y = Ops.Mul(t[0], 1f);
            Ops.GeluInPlace(y);
            Ops.AddInPlace(y, t[1]);
            return y;
        }, v =>
        {
            var y = new double[10];
            for (int i = 0; i < 10; i++) y[i] = 0.5 * v[0][i] * (1 + Erf(v[0][i] / Math.Sqrt(2))) + v[1][i % 5];
            return y;
        });
        Check("Ops.AddScaledInPlace", [x, r], t =>
        {
            var y = Ops.Mul(t[0], 1f);
            Ops.AddScaledInPlace(y, t[1], 0.625f);
            return y;
        }, v =>
        {
            var y = new double[10];
            for (int i = 0; i < 10; i++) y[i] = v[0][i] + 0.625 * v[1][i % 5];
            return y;
        });
    }

    [Fact]
    public void LinearAndMatMul()
    {
        var rng = new System.Random(103);
        var x = Leaf(rng, [2, 3, 5]);
        var w = Leaf(rng, [7, 5]);
        var b = Leaf(rng, [7]);
        Check("Ops.Linear", [x, w, b], t => Ops.Linear(t[0], t[1], t[2]), LinearGradTests.LinearRef(6, 5, 7, true));
        var m1 = Leaf(rng, [3, 1, 3, 4]);
        var m2 = Leaf(rng, [2, 4, 2]);
        Check("Ops.MatMul", [m1, m2], t => Ops.MatMul(t[0], t[1]), LinearGradTests.MatMulRef([3, 1, 3, 4], [2, 4, 2]));
    }

    [Theory, MemberData(nameof(ConvGradTests.ConvCases), MemberType = typeof(ConvGradTests))]
    public void Conv2d(int[] xs, int[] ws, int sh, int sw, int ph, int pw, int dh, int dw, int groups)
    {
        var rng = new System.Random(xs.Sum() + ws.Sum());
        var x = Leaf(rng, xs); var w = Leaf(rng, ws); var b = Leaf(rng, [ws[0]]);
        Check("Ops.Conv2d", [x, w, b], t => Ops.Conv2d(t[0], t[1], t[2], (sh, sw), (ph, pw), (dh, dw), groups),
            ConvGradTests.ConvRef(xs, ws, (sh, sw), (ph, pw), (dh, dw), groups, true));
    }

    [Theory, MemberData(nameof(ConvGradTests.ConvTCases), MemberType = typeof(ConvGradTests))]
    public void ConvTranspose2d(int[] xs, int[] ws, int s, int p, int op, int d, int groups)
    {
        var rng = new System.Random(xs.Sum() * 3 + ws.Sum());
        var x = Leaf(rng, xs); var w = Leaf(rng, ws); var b = Leaf(rng, [ws[1] * groups]);
        Check("Ops.ConvTranspose2d", [x, w, b], t => Ops.ConvTranspose2d(t[0], t[1], t[2], (s, s), (p, p), (op, op), (d, d), groups),
            ConvGradTests.ConvTRef(xs, ws, s, p, op, d, groups, true, out _));
    }

    [Fact]
    public void NormsThroughChannelsLastViews()
    {
        var rng = new System.Random(104);
        // As a Würstchen block: NCHW → LayerNorm2d → channels-last → GRN → back.
        var x = Leaf(rng, [2, 5, 3, 4]);
        Check("Ops.LayerNorm2d", [x], t => Ops.LayerNorm2d(t[0], 1e-6f), NormGradTests.NormRef(2, 5, 12, 1e-6, false, false));
        var h = Leaf(rng, [2, 3, 2, 5]);
        var gamma = Leaf(rng, [1, 1, 1, 5]); var beta = Leaf(rng, [1, 1, 1, 5]);
        Check("Ops.GlobalResponseNorm", [h, gamma, beta], t => Ops.GlobalResponseNorm(t[0], t[1], t[2]), NormGradTests.GrnRef(2, 6, 5));
        var l = Leaf(rng, [4, 7]); var lw = Leaf(rng, [7]); var lb = Leaf(rng, [7]);
        Check("Ops.LayerNorm", [l, lw, lb], t => Ops.LayerNorm(t[0], t[1], t[2], 1e-5f), NormGradTests.NormRef(4, 7, 1, 1e-5, true, true));
        var st = Strides(2, 5, 3, 4);
        Check("Ops.ToChannelsLast", [x], t => Ops.ToChannelsLast(t[0]),
            ShapeGradTests.Gather([2, 3, 4, 5], i => i[0] * st[0] + i[3] * st[1] + i[1] * st[2] + i[2] * st[3]));
    }

    [Fact]
    public void AttentionBothLayouts()
    {
        var rng = new System.Random(105);
        var q = Leaf(rng, [2, 2, 3, 4]); var k = Leaf(rng, [2, 2, 5, 4]); var v = Leaf(rng, [2, 2, 5, 3]);
        Check("Ops.SDPA", [q, k, v], t => Ops.ScaledDotProductAttention(t[0], t[1], t[2]),
            AttentionGradTests.SdpaRef(2, 2, 3, 5, 4, 3, 0.5, false, null));
        Check("Ops.SDPA causal", [q, k, v], t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], causal: true),
            AttentionGradTests.SdpaRef(2, 2, 3, 5, 4, 3, 0.5, true, null));
        // Heads split from [B, L, H·D] by Reshape + Permute (view hooks), as the models do it.
        using var qb = Leaf(rng, [1, 4, 6], requiresGrad: false);
        qb.RequiresGrad = true;
        Check("Ops.SDPA on head views", [qb], t =>
        {
            var h = t[0].Reshape(1, 4, 2, 3).Permute(0, 2, 1, 3);
            return Ops.ScaledDotProductAttention(h, h, h);
        }, x =>
        {
            var heads = new double[24];
            for (int l = 0; l < 4; l++) for (int hh = 0; hh < 2; hh++) for (int c = 0; c < 3; c++) heads[(hh * 4 + l) * 3 + c] = x[0][l * 6 + hh * 3 + c];
            return AttentionGradTests.SdpaRef(1, 2, 4, 4, 3, 3, 1 / Math.Sqrt(3), false, null)([heads, heads, heads]);
        });
    }

    [Theory]
    [InlineData(InterpolationMode.Nearest, false, false)]
    [InlineData(InterpolationMode.Bilinear, false, false)]
    [InlineData(InterpolationMode.Bilinear, true, false)]
    [InlineData(InterpolationMode.Bicubic, false, false)]
    [InlineData(InterpolationMode.Bicubic, true, true)]
    [InlineData(InterpolationMode.Bilinear, false, true)]
    public void InterpolateForwardAndBackwardAgree(InterpolationMode mode, bool align, bool aa)
    {
        // Our backward uses its own per-axis weights: the forward op and the gradient must describe the same map.
        var rng = new System.Random(106);
        foreach (var (ih, iw, oh, ow) in new[] { (4, 6, 7, 5), (7, 5, 3, 4) })
        {
            var x = Leaf(rng, [1, 2, ih, iw]);
            var rows = Wuerstchen.Autograd.Backward.ResizeAxis.For(ih, oh, mode, align, aa);
            var cols = Wuerstchen.Autograd.Backward.ResizeAxis.For(iw, ow, mode, align, aa);
            Reference64 reference = v =>
            {
                var y = new double[2 * oh * ow];
                for (int p = 0; p < 2; p++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++)
                    for (int a = 0; a < rows.Index[i].Length; a++) for (int c = 0; c < cols.Index[j].Length; c++)
                        y[(p * oh + i) * ow + j] += rows.Weight[i][a] * cols.Weight[j][c] * v[0][(p * ih + rows.Index[i][a]) * iw + cols.Index[j][c]];
                return y;
            };
            Check($"Ops.Interpolate {mode} align={align} aa={aa} {ih}x{iw}->{oh}x{ow}", [x], t => Ops.Interpolate(t[0], oh, ow, mode, align, aa), reference);
        }
    }

    [Fact]
    public void ShapeOps()
    {
        var rng = new System.Random(107);
        var x = Leaf(rng, [2, 8, 2, 3]);
        Check("Ops.PixelShuffle", [x], t => Ops.PixelShuffle(t[0], 2), ShapeGradTests.ShuffleRef(2, 2, 2, 3, 2, true));
        var z = Leaf(rng, [1, 3, 6, 3]);
        Check("Ops.PixelUnshuffle", [z], t => Ops.PixelUnshuffle(t[0], 3), ShapeGradTests.ShuffleRef(1, 3, 2, 1, 3, false));
        var w = Leaf(rng, [5, 3]);
        int[] ids = [4, 0, 4, 2];
        Check("Ops.Embedding", [w], t => Ops.Embedding(t[0], ids, [2, 2]), v => ids.SelectMany(id => v[0].Skip(id * 3).Take(3)).ToArray());
        var a = Leaf(rng, [2, 1, 3]); var c = Leaf(rng, [2, 2, 3]);
        Check("Ops.Cat + Chunk", [a, c], t => Ops.Cat([t[0], t[1]], 1).Chunk(3, 1)[1], v =>
        {
            var y = new double[2 * 3];
            for (int n = 0; n < 2; n++) for (int j = 0; j < 3; j++) y[n * 3 + j] = v[1][(n * 2 + 0) * 3 + j];
            return y;
        });
        var m = Leaf(rng, [2, 3, 4]);
        Check("Ops.Max + Softmax", [m], t => Ops.Max(Ops.Softmax(t[0], -1), 1), v =>
        {
            var y = new double[8];
            for (int n = 0; n < 2; n++) for (int j = 0; j < 4; j++)
                y[n * 4 + j] = Enumerable.Range(0, 3).Max(i =>
                {
                    var row = Enumerable.Range(0, 4).Select(q => v[0][(n * 3 + i) * 4 + q]).ToArray();
                    double mx = row.Max(), s = row.Sum(e => Math.Exp(e - mx));
                    return Math.Exp(row[j] - mx) / s;
                });
            return y;
        });
        Check("Ops.Mean + Norm2", [m], t => Ops.Norm2(Ops.Mean(t[0], [0], keepDim: true), [2]), v =>
        {
            var y = new double[3];
            for (int i = 0; i < 3; i++)
                y[i] = Math.Sqrt(Enumerable.Range(0, 4).Sum(j => Math.Pow((v[0][i * 4 + j] + v[0][(3 + i) * 4 + j]) / 2, 2)));
            return y;
        });
        var p = Leaf(rng, [1, 2, 3, 4]);
        Check("Ops.Pad2d replicate", [p], t => Ops.Pad2d(t[0], 1, 2, 2, 1, PadMode.Replicate), v =>
        {
            var y = new double[2 * 6 * 7];
            for (int pl = 0; pl < 2; pl++) for (int h = 0; h < 6; h++) for (int ww = 0; ww < 7; ww++)
                y[(pl * 6 + h) * 7 + ww] = v[0][(pl * 3 + Math.Clamp(h - 2, 0, 2)) * 4 + Math.Clamp(ww - 1, 0, 3)];
            return y;
        });
    }
}
