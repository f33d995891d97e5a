using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of LayerNorm, LayerNorm2d, GRN and inference BatchNorm2d vs float64 finite differences.</summary>
public class NormGradTests
{
    /// <summary>Normalises groups of D values at (o·D + d)·inner + i; optional affine over d.</summary>
    internal static Reference64 NormRef(int outer, int d, int inner, double eps, bool weight, bool bias) => x =>
    {
        var y = new double[outer * d * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double mean = 0, v = 0;
                for (int k = 0; k < d; k++) mean += x[0][(o * d + k) * inner + i];
                mean /= d;
                for (int k = 0; k < d; k++) { double c = x[0][(o * d + k) * inner + i] - mean; v += c * c; }
                double rstd = 1 / Math.Sqrt(v / d + eps);
                for (int k = 0; k < d; k++)
                {
                    int e = (o * d + k) * inner + i;
                    y[e] = (x[0][e] - mean) * rstd * (weight ? x[1][k] : 1) + (bias ? x[weight ? 2 : 1][k] : 0);
                }
            }
        return y;
    };

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void LayerNormLastDim(bool weight, bool bias)
    {
        var rng = new System.Random(21);
        var x = Leaf(rng, [2, 3, 7]);
        var w = Leaf(rng, [7]);
        var b = Leaf(rng, [7]);
        var inputs = new List<Tensor> { x };
        if (weight) inputs.Add(w);
        if (bias) inputs.Add(b);
        var reference = NormRef(6, 7, 1, 1e-5, weight, bias);
        Check($"LayerNorm w={weight} b={bias}", [.. inputs], t =>
        {
            var y = Rounded(reference, t, 2, 3, 7);
            Recorder.LayerNorm(y, t[0], weight ? t[1] : null, bias ? t[^1] : null, 1e-5f);
            return y;
        }, reference);
    }

    [Fact]
    public void LayerNormStridedInputFrozenAffine()
    {
        var rng = new System.Random(22);
        using var xb = Leaf(rng, [5, 4], requiresGrad: false);
        var x = xb.Transpose(0, 1); // [4, 5], normalised over the strided last dim
        x.RequiresGrad = true;
        var w = Leaf(rng, [5], requiresGrad: false);
        var reference = NormRef(4, 5, 1, 1e-6, true, false);
        Check("LayerNorm strided", [x, w], t =>
        {
            var y = Rounded(reference, t, 4, 5);
            Recorder.LayerNorm(y, t[0], t[1], null, 1e-6f);
            return y;
        }, reference);
    }

    [Theory]
    [InlineData(3, 4, 23)]
    [InlineData(9, 15, 26)]   // 135 positions: the backward's tiles of 64, the last one partial
    public void LayerNorm2dOverChannels(int h, int w, int seed)
    {
        var rng = new System.Random(seed);
        var x = Leaf(rng, [2, 5, h, w]);
        var reference = NormRef(2, 5, h * w, 1e-6, false, false);
        Check($"LayerNorm2d {h}x{w}", [x], t =>
        {
            var y = Rounded(reference, t, 2, 5, h, w);
            Recorder.LayerNorm2d(y, t[0], 1e-6f);
            return y;
        }, reference);
    }

    [Fact]
    public void LayerNormWideAffine()
    {
        // 40 columns: ∂w and ∂b are summed in column blocks, one per thread.
        var rng = new System.Random(27);
        var x = Leaf(rng, [3, 5, 40]);
        var w = Leaf(rng, [40]);
        var b = Leaf(rng, [40]);
        var reference = NormRef(15, 40, 1, 1e-5, true, true);
        Check("LayerNorm D = 40", [x, w, b], t =>
        {
            var y = Rounded(reference, t, 3, 5, 40);
            Recorder.LayerNorm(y, t[0], t[1], t[2], 1e-5f);
            return y;
        }, reference);
    }

    internal static Reference64 GrnRef(int b, int p, int d) => x =>
    {
        var y = new double[b * p * d];
        for (int bi = 0; bi < b; bi++)
        {
            var g = new double[d];
            for (int k = 0; k < d; k++)
            {
                double s = 0;
                for (int q = 0; q < p; q++) s += x[0][(bi * p + q) * d + k] * x[0][(bi * p + q) * d + k];
                g[k] = Math.Sqrt(s);
            }
            double m = g.Average() + 1e-6;
            for (int q = 0; q < p; q++)
                for (int k = 0; k < d; k++)
                {
                    int e = (bi * p + q) * d + k;
                    y[e] = x[1][k] * (x[0][e] * g[k] / m) + x[2][k] + x[0][e];
                }
        }
        return y;
    };

    [Theory]
    [InlineData(2, 3, 2, 5, 24)]
    [InlineData(3, 2, 3, 36, 28)]   // D = 36: the backward's 4-lane loops and their scalar tail
    public void GlobalResponseNorm(int b, int h, int w, int d, int seed)
    {
        var rng = new System.Random(seed);
        var x = Leaf(rng, [b, h, w, d]);
        var gamma = Leaf(rng, [1, 1, 1, d]);
        var beta = Leaf(rng, [1, 1, 1, d]);
        var reference = GrnRef(b, h * w, d);
        Check($"GlobalResponseNorm D = {d}", [x, gamma, beta], t =>
        {
            var y = Rounded(reference, t, b, h, w, d);
            Recorder.GlobalResponseNorm(y, t[0], t[1], t[2]);
            return y;
        }, reference);
    }

    [Fact]
    public void GlobalResponseNormWithZeroGammaStillPassesGradientsToGamma()
    {
        // At initialisation γ = β = 0 (SPEC §7.2): the block is the identity, but ∂γ must not vanish.
        var rng = new System.Random(25);
        var x = Leaf(rng, [1, 2, 3, 4]);
        var gamma = Tensor.Zeros(4); gamma.RequiresGrad = true;
        var beta = Tensor.Zeros(4); beta.RequiresGrad = true;
        var reference = GrnRef(1, 6, 4);
        Check("GRN γ = 0", [x, gamma, beta], t =>
        {
            var y = Rounded(reference, t, 1, 2, 3, 4);
            Recorder.GlobalResponseNorm(y, t[0], t[1], t[2]);
            return y;
        }, reference);
    }

    [Fact]
    public void BatchNorm2dInference()
    {
        var rng = new System.Random(26);
        var x = Leaf(rng, [2, 3, 2, 3]);
        var w = Leaf(rng, [3]);
        var b = Leaf(rng, [3]);
        using var mean = Leaf(rng, [3], requiresGrad: false);
        using var var_ = Leaf(rng, [3], 0.5, 2, requiresGrad: false);
        var m = mean.ToArray(); var v = var_.ToArray();
        Reference64 reference = p =>
        {
            var y = new double[36];
            for (int e = 0; e < 36; e++)
            {
                int c = e / 6 % 3;
                y[e] = (p[0][e] - m[c]) / Math.Sqrt(v[c] + (double)1e-5f) * p[1][c] + p[2][c];
            }
            return y;
        };
        Check("BatchNorm2d", [x, w, b], t =>
        {
            var y = Rounded(reference, t, 2, 3, 2, 3);
            Recorder.BatchNorm2d(y, t[0], mean, var_, t[1], t[2], 1e-5f);
            return y;
        }, reference);
    }
}
